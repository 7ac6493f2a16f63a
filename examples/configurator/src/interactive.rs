//! The interactive wizard: draws every screen of the core and sends back the
//! administrator's actions.

use smartlink_core::messages::{Locale, code_text, kind_label, line_label, render, text};
use smartlink_core::rules::EnvironmentChoice;
use smartlink_core::wizard::{Action, ErrorReason, Screen};
use smartlink_core::{Availability, ConfiguratorError, TaskStatus};

use crate::commands::{
    availability_text, follow_task, inconsistency_text, platform_code_exit, report_error,
};
use crate::exit;
use crate::setup::{Ctx, interrupt};
use crate::ui::{Progress, UiError, validation_text};

fn heading(title: &str) {
    println!();
    println!("== {title} ==");
}

/// What to do when a prompt gave no answer.
fn no_answer(locale: Locale, e: UiError) -> u8 {
    match e {
        UiError::Interrupted => interrupt(),
        UiError::Eof => {
            eprintln!("{}", text(locale, "cli.input_ended"));
            exit::DECISION
        }
        UiError::Io(detail) => {
            eprintln!("smartlink-configurator: {detail}");
            exit::INTERNAL
        }
    }
}

macro_rules! ask {
    ($ctx:expr, $e:expr) => {
        match $e.await {
            Ok(answer) => answer,
            Err(e) => return no_answer($ctx.locale, e),
        }
    };
}

/// One line per environment: name, kind, bindings, what may be done.
fn environment_line(ctx: &Ctx, choice: &EnvironmentChoice) -> String {
    let loc = ctx.locale;
    let env = &choice.environment;
    let bindings = if env.bindings.is_empty() {
        text(loc, "choose.bindings_none").to_owned()
    } else {
        let list = env
            .bindings
            .iter()
            .map(|b| {
                let name = if b.installation_id == ctx.spec.id {
                    text(loc, "choose.this_installation").to_owned()
                } else {
                    b.installation_name.as_str().to_owned()
                };
                render(
                    loc,
                    "choose.binding",
                    &[("line", line_label(b.line)), ("name", &name)],
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        render(loc, "cli.bindings", &[("list", &list)])
    };
    format!(
        "{} · {} · {} · {}",
        env.name.as_str(),
        kind_label(loc, env.kind),
        bindings,
        availability_text(loc, &choice.availability)
    )
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
            use smartlink_core::wizard::WizardError as W;
            let loc = ctx.locale;
            let message = match &e {
                W::Invalid(v) => validation_text(loc, v),
                W::NameTaken => code_text(loc, "name_taken"),
                W::ConfirmationMismatch(_) => text(loc, "overwrite.mismatch").to_owned(),
                W::NotSelectable { reason, .. } => render(
                    loc,
                    "cli.unavailable_pick",
                    &[(
                        "reason",
                        &availability_text(
                            loc,
                            &Availability::Unavailable {
                                reason: reason.clone(),
                            },
                        ),
                    )],
                ),
                other => other.to_string(),
            };
            println!("✗ {message}");
            Ok(())
        }
        Err(other) => {
            let (message, code) = report_error(ctx.locale, &other, None);
            eprintln!("{message}");
            Err(code)
        }
    }
}

macro_rules! act {
    ($ctx:expr, $action:expr) => {
        if let Err(code) = apply($ctx, $action).await {
            return code;
        }
    };
}

pub async fn run(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let choose = text(loc, "cli.choose_prompt");
    loop {
        match ctx.cfg.screen() {
            Screen::Welcome { documentation_url } => {
                heading(text(loc, "welcome.title"));
                println!("{}", text(loc, "welcome.body"));
                println!(
                    "{}",
                    render(loc, "welcome.docs", &[("url", &documentation_url)])
                );
                let items = vec![
                    text(loc, "welcome.start").to_owned(),
                    text(loc, "button.cancel").to_owned(),
                ];
                match ask!(ctx, ctx.ui.select(choose, items, 0)) {
                    0 => act!(ctx, Action::Start),
                    _ => return cancelled(ctx),
                }
            }
            Screen::NameInstallation { name, error } => {
                heading(text(loc, "name.title"));
                println!("{}", text(loc, "name.help"));
                if let Some(e) = &error {
                    println!("✗ {}", validation_text(loc, e));
                }
                let typed = ask!(ctx, ctx.ui.input(text(loc, "name.prompt"), name.as_deref()));
                let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
                let result = ctx.cfg.apply(Action::SetName { name: typed }).await;
                progress.finish();
                match result {
                    Ok(_) | Err(ConfiguratorError::Wizard(_)) => {}
                    Err(other) => {
                        let (message, code) = report_error(loc, &other, None);
                        eprintln!("{message}");
                        return code;
                    }
                }
            }
            Screen::ChooseEnvironment {
                scenario,
                choices,
                create_offered,
                local_binding_lost,
            } => {
                heading(text(loc, "choose.title"));
                let intro = smartlink_core::messages::scenario_text(loc, &scenario, &choices);
                println!("{intro}");
                if local_binding_lost {
                    println!("{}", text(loc, "choose.local_binding_lost"));
                }
                if create_offered {
                    println!(
                        "[ {} ]   {}",
                        text(loc, "choose.tab_select"),
                        text(loc, "choose.tab_create")
                    );
                } else {
                    println!("[ {} ]", text(loc, "choose.tab_select"));
                }
                if choices.is_empty() {
                    println!("{}", text(loc, "choose.no_environments"));
                }
                let mut items: Vec<String> =
                    choices.iter().map(|c| environment_line(ctx, c)).collect();
                let create_index = create_offered.then(|| {
                    items.push(format!("+ {}", text(loc, "choose.tab_create")));
                    items.len() - 1
                });
                items.push(text(loc, "button.back").to_owned());
                let back_index = items.len() - 1;
                items.push(text(loc, "button.cancel").to_owned());
                let default = choices
                    .iter()
                    .position(|c| c.availability.is_choosable())
                    .unwrap_or(0);
                let picked = ask!(ctx, ctx.ui.select(choose, items, default));
                if let Some(choice) = choices.get(picked) {
                    if !choice.availability.is_choosable() {
                        println!(
                            "✗ {}",
                            render(
                                loc,
                                "cli.unavailable_pick",
                                &[("reason", &availability_text(loc, &choice.availability))]
                            )
                        );
                        continue;
                    }
                    println!("{}", environment_line(ctx, choice));
                    let buttons = vec![
                        text(loc, "choose.generate").to_owned(),
                        text(loc, "button.back").to_owned(),
                    ];
                    if ask!(ctx, ctx.ui.select(choose, buttons, 0)) == 0 {
                        act!(
                            ctx,
                            Action::Select {
                                environment_id: choice.environment.id.clone(),
                            }
                        );
                    }
                } else if Some(picked) == create_index {
                    heading(text(loc, "choose.tab_create"));
                    println!(
                        "{}",
                        render(
                            loc,
                            "cli.create_kind",
                            &[("kind", kind_label(loc, ctx.spec.kind))]
                        )
                    );
                    let prompt = format!(
                        "{} {}",
                        text(loc, "choose.create_prompt"),
                        text(loc, "cli.empty_to_go_back")
                    );
                    let name = ask!(ctx, ctx.ui.input(&prompt, None));
                    if name.trim().is_empty() {
                        continue;
                    }
                    let buttons = vec![
                        text(loc, "choose.create_button").to_owned(),
                        text(loc, "button.back").to_owned(),
                    ];
                    if ask!(ctx, ctx.ui.select(choose, buttons, 0)) == 0 {
                        act!(ctx, Action::Create { name });
                    }
                } else if picked == back_index {
                    act!(ctx, Action::Back);
                } else {
                    act!(ctx, Action::Cancel);
                    return cancelled(ctx);
                }
            }
            Screen::ConfirmRegeneration { environment } => {
                heading(text(loc, "regenerate.title"));
                println!(
                    "{} · {}",
                    environment.name.as_str(),
                    kind_label(loc, environment.kind)
                );
                println!("{}", text(loc, "regenerate.body"));
                let buttons = vec![
                    text(loc, "button.confirm").to_owned(),
                    text(loc, "button.back").to_owned(),
                ];
                match ask!(ctx, ctx.ui.select(choose, buttons, 0)) {
                    0 => act!(ctx, Action::Confirm),
                    _ => act!(ctx, Action::Back),
                }
            }
            Screen::ConfirmOverwrite {
                environment,
                replaces,
                typed,
                confirm_enabled,
            } => {
                if typed.is_empty() {
                    heading(text(loc, "overwrite.title"));
                    println!(
                        "{}",
                        render(
                            loc,
                            "overwrite.body",
                            &[
                                ("environment", environment.name.as_str()),
                                ("installation", replaces.installation_name.as_str()),
                                ("line", line_label(replaces.line)),
                            ],
                        )
                    );
                }
                let button = text(loc, "button.confirm");
                if confirm_enabled {
                    println!(
                        "✓ {}",
                        render(loc, "cli.confirm_enabled", &[("button", button)])
                    );
                    let buttons = vec![button.to_owned(), text(loc, "button.back").to_owned()];
                    match ask!(ctx, ctx.ui.select(choose, buttons, 0)) {
                        0 => act!(ctx, Action::Confirm),
                        _ => act!(ctx, Action::Back),
                    }
                    continue;
                }
                if !typed.is_empty() {
                    println!(
                        "✗ {}",
                        render(loc, "cli.confirm_disabled", &[("button", button)])
                    );
                }
                let prompt = format!(
                    "{} {}",
                    render(
                        loc,
                        "overwrite.type_name",
                        &[("name", environment.name.as_str())]
                    ),
                    text(loc, "cli.empty_to_go_back")
                );
                let typed = ask!(ctx, ctx.ui.input(&prompt, None));
                if typed.trim().is_empty() {
                    act!(ctx, Action::Back);
                } else {
                    act!(ctx, Action::TypeConfirmation { text: typed });
                }
            }
            Screen::Finishing { task_id, .. } => finishing(ctx, task_id).await,
            Screen::Done {
                environment_name,
                reused_credentials,
                ..
            } => {
                heading(text(loc, "done.title"));
                println!(
                    "{}",
                    render(loc, "done.body", &[("name", environment_name.as_str())])
                );
                let key = if reused_credentials {
                    "done.reused"
                } else {
                    "done.issued"
                };
                println!("{}", text(loc, key));
                return exit::OK;
            }
            Screen::Error {
                support_id,
                reason,
                retry_allowed,
            } => {
                heading(text(loc, "error.title"));
                let code = match &reason {
                    ErrorReason::Inconsistent { inconsistency } => {
                        println!("{}", text(loc, "error.inconsistent"));
                        println!("{}", inconsistency_text(loc, inconsistency));
                        exit::INCONSISTENT
                    }
                    ErrorReason::Platform { code, .. } | ErrorReason::TaskFailed { code, .. } => {
                        println!("{}", code_text(loc, code));
                        println!("{}", text(loc, "error.retry"));
                        platform_code_exit(code)
                    }
                };
                let support = support_id.to_string();
                if code == exit::INCONSISTENT {
                    println!("{}", render(loc, "error.support", &[("id", &support)]));
                } else {
                    println!("{}", render(loc, "cli.support_id", &[("id", &support)]));
                }
                if !retry_allowed {
                    return code;
                }
                let buttons = vec![
                    text(loc, "button.back").to_owned(),
                    text(loc, "button.cancel").to_owned(),
                ];
                match ask!(ctx, ctx.ui.select(choose, buttons, 0)) {
                    0 => act!(ctx, Action::Back),
                    _ => return code,
                }
            }
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
    heading(text(loc, "finishing.title"));
    println!("{}", text(loc, "finishing.body"));
    println!(
        "{}",
        render(loc, "cli.support_id", &[("id", &task_id.to_string())])
    );
    follow_task(ctx).await;
}

fn cancelled(ctx: &Ctx) -> u8 {
    println!("{}", text(ctx.locale, "cli.cancelled_by_admin"));
    exit::DECISION
}
