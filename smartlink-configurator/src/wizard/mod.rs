//! The interactive wizard: first what is known (the local state and the
//! platform's listing), then every screen of the core, one function each,
//! sending back the administrator's actions.

mod choose;
mod rows;
mod screens;
mod start;

use smartlink_core::messages::{
    Locale, ScreenKindTexts as T, ScreenTexts, code_text, refusal_text, screen_texts,
};
use smartlink_core::wizard::{Action, Screen, WizardError};
use smartlink_core::{ConfiguratorError, TaskStatus};

use crate::exit;
use crate::report::{report_error, with_detail};
use crate::setup::{Ctx, interrupt};
use crate::task::follow_task;
use crate::texts::{render, text};
use crate::ui::{Progress, UiError};

use choose::ChooseTexts;
use screens::ErrorTexts;
use start::{Known, configured_menu, know_the_situation};

/// What a screen leads to: `Ok(())` the next screen (the wizard's, after
/// the action sent), `Err(code)` the end of the run with this exit code.
type Flow = Result<(), u8>;

/// What this run learnt and did, for the Done screen.
#[derive(Default)]
struct Session {
    /// The installation's name as remembered (state, else the platform).
    remembered: Option<String>,
    /// The administrator confirmed a rename from `remembered`.
    renamed_to: Option<String>,
    /// The name given on the name screen.
    typed: Option<String>,
    /// The installation whose binding an overwrite replaced (name, line).
    replaced: Option<(String, &'static str)>,
}

/// One run of the wizard: what every screen needs.
struct Wizard<'a> {
    ctx: &'a Ctx,
    loc: Locale,
    session: Session,
    /// The buttons of the screen on show (empty when it has none).
    back: String,
    cancel: String,
    confirm: String,
    /// The menus' prompt.
    choose: &'static str,
}

impl<'a> Wizard<'a> {
    fn new(ctx: &'a Ctx) -> Self {
        Self {
            ctx,
            loc: ctx.locale,
            session: Session::default(),
            back: String::new(),
            cancel: String::new(),
            confirm: String::new(),
            choose: text(ctx.locale, "cli.choose_prompt"),
        }
    }

    /// Draws the wizard's current screen with its texts (the same the C ABI
    /// sends to its hosts) and sends back what the administrator did.
    async fn show(&mut self) -> Flow {
        let screen = self.ctx.cfg.screen();
        let texts = screen_texts(self.loc, &screen);
        self.buttons(&texts);
        match (screen, texts.screen) {
            (
                Screen::Welcome { .. },
                T::Welcome {
                    title,
                    body,
                    docs,
                    start,
                },
            ) => self.welcome(&title, &body, &docs, start).await,
            (
                Screen::NameInstallation { name, error },
                T::NameInstallation {
                    title,
                    prompt,
                    help,
                    error: refused,
                },
            ) => {
                // A refused text is not offered again.
                let offered = name.filter(|_| error.is_none());
                self.name(offered, &title, &prompt, &help, refused).await
            }
            (
                Screen::ChooseEnvironment {
                    choices,
                    preselected,
                    ..
                },
                T::ChooseEnvironment {
                    title,
                    tab_select,
                    generate,
                    tab_create,
                    create_prompt,
                    create_button,
                    scenario,
                    local_binding_lost,
                    no_environments,
                    ..
                },
            ) => {
                let texts = ChooseTexts {
                    title,
                    tab_select,
                    generate,
                    tab_create,
                    create_prompt,
                    create_button,
                    scenario,
                    local_binding_lost,
                    no_environments,
                };
                self.choose_environment(&choices, preselected.as_ref(), texts)
                    .await
            }
            (
                Screen::ConfirmRegeneration { environment },
                T::ConfirmRegeneration { title, body },
            ) => self.confirm_regeneration(&environment, &title, &body).await,
            (
                Screen::ConfirmOverwrite {
                    replaces,
                    typed,
                    confirm_enabled,
                    ..
                },
                T::ConfirmOverwrite {
                    title,
                    body,
                    type_name,
                    ..
                },
            ) => {
                self.confirm_overwrite(
                    &replaces,
                    &typed,
                    confirm_enabled,
                    &title,
                    &body,
                    &type_name,
                )
                .await
            }
            (Screen::Finishing { task_id, .. }, T::Finishing { .. }) => {
                finishing(self.ctx, task_id).await;
                Ok(())
            }
            (
                Screen::Done {
                    environment_name, ..
                },
                T::Done {
                    title,
                    body,
                    credentials,
                },
            ) => self.done(environment_name.as_str(), &title, &body, &credentials),
            (
                Screen::Error {
                    support_id,
                    reason,
                    retry_allowed,
                },
                T::Error {
                    title,
                    detail_lines,
                    retry,
                    ..
                },
            ) => {
                let texts = ErrorTexts {
                    title,
                    detail_lines,
                    retry,
                };
                self.error(support_id, &reason, retry_allowed, texts).await
            }
            // `screen_texts` answers each screen with its own kind of texts:
            // any other pairing is a defect of the core, reported as one.
            (screen, _) => {
                let detail = format!("no texts for the {} screen", screen.name());
                let message = with_detail(
                    self.ctx.cli.verbose,
                    code_text(self.loc, "internal"),
                    &detail,
                );
                errln!("smartlink-configurator: {message}");
                Err(exit::INTERNAL)
            }
        }
    }

    fn buttons(&mut self, texts: &ScreenTexts) {
        self.back = texts.back.clone().unwrap_or_default();
        self.cancel = texts.cancel.clone().unwrap_or_default();
        self.confirm = texts.confirm.clone().unwrap_or_default();
    }

    /// A prompt's answer; no answer ends the run ([`no_answer`]).
    async fn ask<T>(&self, f: impl Future<Output = Result<T, UiError>>) -> Result<T, u8> {
        ask_or(self.ctx, f).await
    }

    /// Sends an action ([`apply`]).
    async fn act(&self, action: Action) -> Flow {
        apply(self.ctx, action).await
    }

    /// Cancelled by the administrator: says so, exit 3.
    fn cancelled(&self) -> Flow {
        outln!("{}", text(self.loc, "cli.cancelled_by_admin"));
        Err(exit::DECISION)
    }
}

pub async fn run(ctx: &Ctx) -> u8 {
    let mut wizard = Wizard::new(ctx);
    let opened = match know_the_situation(ctx, &mut wizard.session).await {
        Err(code) => Err(code),
        Ok(Known::Configured(binding)) => match configured_menu(ctx, &binding).await {
            Err(code) | Ok(Some(code)) => Err(code),
            // Straight to the name and the list: no first-time welcome.
            Ok(None) => apply(ctx, Action::Start).await,
        },
        Ok(Known::Unconfigured) => Ok(()),
    };
    if let Err(code) = opened {
        return code;
    }
    loop {
        if let Err(code) = wizard.show().await {
            return code;
        }
    }
}

fn heading(title: &str) {
    outln!();
    outln!("== {title} ==");
}

/// What to do when a prompt gave no answer.
fn no_answer(locale: Locale, e: UiError) -> u8 {
    match e {
        UiError::Interrupted => interrupt(),
        UiError::Eof => {
            errln!("{}", text(locale, "cli.input_ended"));
            exit::DECISION
        }
        UiError::Io(detail) => {
            errln!("smartlink-configurator: {detail}");
            exit::INTERNAL
        }
    }
}

async fn ask_or<T>(ctx: &Ctx, f: impl Future<Output = Result<T, UiError>>) -> Result<T, u8> {
    f.await.map_err(|e| no_answer(ctx.locale, e))
}

/// Applies an action; a refusal by the wizard is shown and the loop goes on.
async fn apply(ctx: &Ctx, action: Action) -> Result<(), u8> {
    let before = task_id(&ctx.cfg.task_status());
    match ctx.cfg.apply(action).await {
        Ok(_) => {
            // The action started the background task, which may already have
            // ended: show the finishing screen for it all the same.
            let after = task_id(&ctx.cfg.task_status());
            if let Some(id) = after
                && after != before
            {
                finishing(ctx, id).await;
            }
            Ok(())
        }
        Err(ConfiguratorError::Wizard(e)) => {
            let loc = ctx.locale;
            let message = match &e {
                WizardError::Decision(refused) => refusal_text(loc, refused),
                _ => code_text(loc, "not_allowed"),
            };
            outln!("✗ {message}");
            Ok(())
        }
        Err(other) => {
            let (message, code) = report_error(ctx, &other, None);
            errln!("{message}");
            Err(code)
        }
    }
}

/// Sends the name; `false` when the listing that follows failed outside the
/// wizard (already reported).
pub async fn set_name(ctx: &Ctx, name: String) -> bool {
    let progress = Progress::start(ctx.tty, text(ctx.locale, "progress.working"));
    let result = ctx.cfg.apply(Action::SetName { name }).await;
    progress.finish();
    match result {
        Ok(_) | Err(ConfiguratorError::Wizard(_)) => true,
        Err(other) => {
            let (message, _) = report_error(ctx, &other, None);
            errln!("{message}");
            false
        }
    }
}

fn task_id(status: &TaskStatus) -> Option<uuid::Uuid> {
    match status {
        TaskStatus::Idle => None,
        TaskStatus::Pending { task_id }
        | TaskStatus::Running { task_id, .. }
        | TaskStatus::Succeeded { task_id, .. }
        | TaskStatus::Failed { task_id, .. } => Some(*task_id),
    }
}

/// The finishing screen, following the background task until it ends.
async fn finishing(ctx: &Ctx, task_id: uuid::Uuid) {
    let loc = ctx.locale;
    let screen = Screen::Finishing {
        task_id,
        step: None,
    };
    if let T::Finishing { title, body, .. } = screen_texts(loc, &screen).screen {
        heading(&title);
        outln!("{body}");
    }
    outln!(
        "{}",
        render(loc, "cli.support_id", &[("id", &task_id.to_string())])
    );
    follow_task(ctx).await;
}
