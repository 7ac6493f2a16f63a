//! The environment list: the environments that can be chosen as rows, the
//! others apart with the reason, the create tab when offered.

use smartlink_core::EnvironmentChoice;
use smartlink_core::messages::{availability_text, code_text, kind_label, line_label};
use smartlink_core::wizard::Action;
use smartlink_core::{Availability, EnvironmentId, EnvironmentName};

use super::rows::{bindings_text, columns, environment_item, fit, pad, width, wrap};
use super::{Flow, Wizard, heading};
use crate::texts::{render, text};
use crate::ui::{MenuItem, Validator, validation_text};

/// The texts of the environment list the terminal draws.
pub struct ChooseTexts {
    pub title: String,
    pub tab_select: String,
    pub generate: String,
    pub tab_create: Option<String>,
    pub create_prompt: Option<String>,
    pub create_button: Option<String>,
    pub scenario: String,
    pub local_binding_lost: Option<String>,
    pub no_environments: Option<String>,
}

impl Wizard<'_> {
    /// Choose an environment (or the create tab), then *Generate* or
    /// *Create*; *Back* and *Cancel* as menu entries.
    pub(super) async fn choose_environment(
        &mut self,
        choices: &[EnvironmentChoice],
        preselected: Option<&EnvironmentId>,
        texts: ChooseTexts,
    ) -> Flow {
        let (ctx, loc) = (self.ctx, self.loc);
        let w = width(ctx);
        heading(&texts.title);
        outln!("{}", wrap(&texts.scenario, w));
        if let Some(lost) = &texts.local_binding_lost {
            outln!("{lost}");
        }
        // The create tab, when offered.
        let tab_select = &texts.tab_select;
        if let Some(tab_create) = &texts.tab_create {
            outln!("[ {tab_select} ]   {tab_create}");
        } else {
            outln!("[ {tab_select} ]");
        }
        if let Some(none) = &texts.no_environments {
            outln!("{none}");
        }
        // Environments that cannot be chosen: shown apart, never a choice.
        let (choosable, apart): (Vec<EnvironmentChoice>, Vec<EnvironmentChoice>) = choices
            .iter()
            .cloned()
            .partition(|c| c.availability.is_choosable());
        let cols = columns(ctx, &choosable);
        if !apart.is_empty() {
            outln!("{}", text(loc, "cli.not_choosable"));
            let apart_width = columns(ctx, &apart).0;
            for c in &apart {
                // The reason names the kind when it is the obstacle.
                let row = format!(
                    "  - {}  {}",
                    pad(c.environment.name.as_str(), apart_width),
                    availability_text(loc, &c.availability)
                );
                outln!("{}", fit(&row, w));
            }
        }
        let mut items: Vec<MenuItem> = choosable
            .iter()
            .map(|c| environment_item(ctx, c, cols))
            .collect();
        let create_index = texts.tab_create.as_ref().map(|tab| {
            items.push(MenuItem::new(format!("+ {tab}")));
            items.len() - 1
        });
        items.push(MenuItem::new(self.back.clone()));
        let back_index = items.len() - 1;
        items.push(MenuItem::new(self.cancel.clone()));
        // The default is never an overwrite: the only candidate the core
        // preselected, else the first free (or own) environment, else the
        // create tab, else Back.
        let default = preselected
            .and_then(|id| choosable.iter().position(|c| &c.environment.id == id))
            .or_else(|| {
                choosable.iter().position(|c| {
                    matches!(
                        c.availability,
                        Availability::Selectable | Availability::Regenerate
                    )
                })
            })
            .or(create_index)
            .unwrap_or(back_index);
        let picked = self
            .ask(ctx.ui.menu(self.choose, items, default))
            .await?
            .unwrap_or(back_index);
        if let Some(choice) = choosable.get(picked) {
            self.pick(choice, texts.generate).await
        } else if Some(picked) == create_index {
            self.create(choices, texts).await
        } else if picked == back_index {
            self.act(Action::Back).await
        } else {
            self.act(Action::Cancel).await?;
            self.cancelled()
        }
    }

    /// A listed environment picked: *Generate* selects it.
    async fn pick(&mut self, choice: &EnvironmentChoice, generate: String) -> Flow {
        let loc = self.loc;
        outln!(
            "{}",
            fit(
                &format!(
                    "{} · {} · {}",
                    choice.environment.name.as_str(),
                    kind_label(loc, choice.environment.kind),
                    bindings_text(self.ctx, choice)
                ),
                width(self.ctx)
            )
        );
        let buttons = vec![generate, self.back.clone()];
        if self
            .ask(self.ctx.ui.select(self.choose, buttons, 0))
            .await?
            != 0
        {
            return Ok(());
        }
        if let Availability::NeedsTypedConfirmation { replaces } = &choice.availability {
            self.session.replaced = Some((
                replaces.installation_name.as_str().to_owned(),
                line_label(replaces.line),
            ));
        }
        self.act(Action::Select {
            environment_id: choice.environment.id.clone(),
        })
        .await
    }

    /// The create tab: a new name, checked at the prompt (empty: back to
    /// the list), then *Create*.
    async fn create(&mut self, choices: &[EnvironmentChoice], texts: ChooseTexts) -> Flow {
        let (ctx, loc) = (self.ctx, self.loc);
        heading(texts.tab_create.as_deref().unwrap_or_default());
        outln!(
            "{}",
            render(
                loc,
                "cli.create_kind",
                &[("kind", kind_label(loc, ctx.spec.kind))]
            )
        );
        let prompt = format!(
            "{} {}",
            texts.create_prompt.unwrap_or_default(),
            text(loc, "cli.empty_to_go_back")
        );
        let taken: Vec<String> = choices
            .iter()
            .map(|c| c.environment.name.uniqueness_key())
            .collect();
        let validator: Validator = Box::new(move |s: &str| {
            if s.trim().is_empty() {
                return Ok(());
            }
            let name = EnvironmentName::new(s).map_err(|e| validation_text(loc, &e))?;
            if taken.contains(&name.uniqueness_key()) {
                return Err(code_text(loc, "name_taken"));
            }
            Ok(())
        });
        let name = self
            .ask(ctx.ui.input_checked(&prompt, None, Some(validator)))
            .await?;
        if name.trim().is_empty() {
            return Ok(());
        }
        let buttons = vec![texts.create_button.unwrap_or_default(), self.back.clone()];
        if self.ask(ctx.ui.select(self.choose, buttons, 0)).await? == 0 {
            self.act(Action::Create { name }).await
        } else {
            Ok(())
        }
    }
}
