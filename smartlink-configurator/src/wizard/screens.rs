//! The wizard's screens, one function each (the environment list is in
//! `choose`).

use smartlink_core::messages::{kind_label, line_label};
use smartlink_core::wizard::{Action, ErrorReason};
use smartlink_core::{Binding, Environment, InstallationName};

use super::rows::{width, wrap};
use super::{Flow, Wizard, heading, set_name};
use crate::commands::stored_where;
use crate::exit;
use crate::report::platform_code_exit;
use crate::texts::{render, text};
use crate::ui::{MenuItem, Validator, validation_text};

/// The texts of the error screen the terminal draws.
pub struct ErrorTexts {
    pub title: String,
    pub detail_lines: Vec<String>,
    pub retry: Option<String>,
}

impl Wizard<'_> {
    /// Welcome: *Start* or *Cancel*.
    pub(super) async fn welcome(
        &mut self,
        title: &str,
        body: &str,
        docs: &str,
        start: String,
    ) -> Flow {
        heading(title);
        outln!("{}", wrap(body, width(self.ctx)));
        outln!("{docs}");
        let items = vec![start, self.cancel.clone()];
        match self.ask(self.ctx.ui.select(self.choose, items, 0)).await? {
            0 => self.act(Action::Start).await,
            _ => self.cancelled(),
        }
    }

    /// The installation's name, checked at the prompt; a name other than
    /// the remembered one is a rename, asked explicitly.
    pub(super) async fn name(
        &mut self,
        offered: Option<String>,
        title: &str,
        prompt: &str,
        help: &str,
        refused: Option<String>,
    ) -> Flow {
        let (ctx, loc) = (self.ctx, self.loc);
        heading(title);
        outln!("{}", wrap(help, width(ctx)));
        if let Some(e) = &refused {
            outln!("✗ {e}");
        }
        let initial = offered.or_else(|| self.session.remembered.clone());
        let validator: Validator = Box::new(move |s: &str| {
            InstallationName::new(s)
                .map(|_| ())
                .map_err(|e| validation_text(loc, &e))
        });
        let typed = self
            .ask(
                ctx.ui
                    .input_checked(prompt, initial.as_deref(), Some(validator)),
            )
            .await?;
        if let Some(old) = self.session.remembered.clone()
            && let Ok(new) = InstallationName::new(&typed)
            && new.as_str() != old
        {
            let items = vec![
                render(loc, "cli.rename_to", &[("name", new.as_str())]),
                render(loc, "cli.rename_keep", &[("name", &old)]),
            ];
            outln!(
                "{}",
                render(
                    loc,
                    "cli.rename_question",
                    &[("old", &old), ("new", new.as_str())]
                )
            );
            let items = items.into_iter().map(MenuItem::new).collect();
            match self.ask(ctx.ui.menu(self.choose, items, 1)).await? {
                Some(0) => self.session.renamed_to = Some(new.as_str().to_owned()),
                Some(_) => {
                    self.session.typed = Some(old.clone());
                    return send_name(self, old).await;
                }
                None => return Ok(()),
            }
        }
        self.session.typed = Some(typed.clone());
        send_name(self, typed).await
    }

    /// The regeneration alert: the installation is bound to this
    /// environment already; new credentials replace the old ones.
    pub(super) async fn confirm_regeneration(
        &mut self,
        environment: &Environment,
        title: &str,
        body: &str,
    ) -> Flow {
        heading(title);
        outln!(
            "{} · {}",
            environment.name.as_str(),
            kind_label(self.loc, environment.kind)
        );
        outln!("{}", wrap(body, width(self.ctx)));
        let buttons = vec![self.confirm.clone(), self.back.clone()];
        match self
            .ask(self.ctx.ui.select(self.choose, buttons, 0))
            .await?
        {
            0 => self.act(Action::Confirm).await,
            _ => self.act(Action::Back).await,
        }
    }

    /// The overwrite alert: the environment's name typed in full enables
    /// *Confirm*.
    pub(super) async fn confirm_overwrite(
        &mut self,
        replaces: &Binding,
        typed: &str,
        confirm_enabled: bool,
        title: &str,
        body: &str,
        type_name: &str,
    ) -> Flow {
        let loc = self.loc;
        self.session.replaced = Some((
            replaces.installation_name.as_str().to_owned(),
            line_label(replaces.line),
        ));
        if typed.is_empty() {
            heading(title);
            outln!("{}", wrap(body, width(self.ctx)));
        }
        let button = self.confirm.clone();
        if confirm_enabled {
            outln!(
                "✓ {}",
                render(loc, "cli.confirm_enabled", &[("button", &button)])
            );
            let buttons = vec![button, self.back.clone()];
            return match self
                .ask(self.ctx.ui.select(self.choose, buttons, 1))
                .await?
            {
                0 => self.act(Action::Confirm).await,
                _ => self.act(Action::Back).await,
            };
        }
        if !typed.is_empty() {
            outln!(
                "✗ {}",
                render(loc, "cli.confirm_disabled", &[("button", &button)])
            );
        }
        let prompt = format!("{type_name} {}", text(loc, "cli.empty_to_go_back"));
        let typed = self.ask(self.ctx.ui.input(&prompt, None)).await?;
        if typed.trim().is_empty() {
            self.act(Action::Back).await
        } else {
            self.act(Action::TypeConfirmation { text: typed }).await
        }
    }

    /// Done: where the credentials are, who lost access, a rename. The run
    /// ends (exit 0).
    pub(super) fn done(
        &mut self,
        environment_name: &str,
        title: &str,
        body: &str,
        credentials: &str,
    ) -> Flow {
        let (ctx, loc) = (self.ctx, self.loc);
        let session = &self.session;
        let name = session
            .renamed_to
            .clone()
            .or_else(|| session.typed.clone())
            .or_else(|| session.remembered.clone());
        if let Some(name) = &name {
            ctx.remember_name(name);
        }
        heading(title);
        outln!("{body}");
        outln!("{credentials}");
        outln!("{}", stored_where(ctx));
        if let Some((installation, line)) = &session.replaced {
            outln!(
                "{}",
                render(
                    loc,
                    "cli.done_lost_access",
                    &[
                        ("installation", installation),
                        ("line", line),
                        ("environment", environment_name),
                    ],
                )
            );
        }
        if let (Some(old), Some(new)) = (&session.remembered, &session.renamed_to) {
            outln!(
                "{}",
                render(loc, "cli.done_renamed", &[("old", old), ("new", new)])
            );
        }
        Err(exit::OK)
    }

    /// The error screen: what went wrong, the support id; *Back* (try
    /// again) when allowed, else the run ends with the failure's exit code.
    pub(super) async fn error(
        &mut self,
        support_id: uuid::Uuid,
        reason: &ErrorReason,
        retry_allowed: bool,
        texts: ErrorTexts,
    ) -> Flow {
        let loc = self.loc;
        heading(&texts.title);
        for line in &texts.detail_lines {
            outln!("{line}");
        }
        let code = match reason {
            ErrorReason::Inconsistent { .. } => exit::INCONSISTENT,
            ErrorReason::Platform { code, detail, .. }
            | ErrorReason::TaskFailed { code, detail } => {
                if self.ctx.cli.verbose {
                    outln!("({detail})");
                }
                if let Some(retry) = &texts.retry {
                    outln!("{retry}");
                }
                platform_code_exit(code)
            }
        };
        // The support code, and how to make the report to send with it.
        outln!(
            "{}",
            crate::commands::support_send(loc, &support_id.to_string())
        );
        if !retry_allowed {
            return Err(code);
        }
        let buttons = vec![
            MenuItem::new(self.back.clone()),
            MenuItem::new(self.cancel.clone()),
        ];
        match self.ask(self.ctx.ui.menu(self.choose, buttons, 0)).await? {
            Some(0) | None => self.act(Action::Back).await,
            _ => {
                outln!("{}", text(loc, "cli.cancelled_by_admin"));
                Err(code)
            }
        }
    }
}

/// Sends the name; a listing that failed outside the wizard (already
/// reported) ends the run with exit 4.
async fn send_name(wizard: &Wizard<'_>, name: String) -> Flow {
    if set_name(wizard.ctx, name).await {
        Ok(())
    } else {
        Err(exit::PLATFORM)
    }
}
