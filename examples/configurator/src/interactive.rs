//! The interactive wizard: first what is known (the local state and the
//! platform's listing), then every screen of the core, sending back the
//! administrator's actions.

use smartlink_core::Platform as _;
use smartlink_core::messages::{
    Locale, ScreenKindTexts as T, code_text, kind_label, line_label, render, screen_texts, text,
};
use smartlink_core::rules::{Classification, EnvironmentChoice, classify};
use smartlink_core::state::LocalBinding;
use smartlink_core::wizard::{Action, ErrorReason, Screen};
use smartlink_core::{
    Availability, ConfiguratorError, EnvironmentName, Installation, InstallationName, Scenario,
    TaskStatus,
};

use crate::commands::{
    availability_text, follow_task, platform_code_exit, platform_message, report_error,
    stored_where,
};
use crate::exit;
use crate::setup::{Ctx, interrupt};
use crate::ui::{MenuItem, Progress, UiError, Validator, validation_text};

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

macro_rules! ask {
    ($ctx:expr, $e:expr) => {
        match $e.await {
            Ok(answer) => answer,
            Err(e) => return no_answer($ctx.locale, e),
        }
    };
}

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

/// Columns the rows may use: the terminal's width, 80 when not a terminal.
fn width(ctx: &Ctx) -> usize {
    if ctx.tty {
        let (_, cols) = dialoguer::console::Term::stderr().size();
        cols as usize
    } else {
        80
    }
}

/// Wraps prose at word boundaries to fit `width` columns.
pub fn wrap(text: &str, width: usize) -> String {
    let measure = dialoguer::console::measure_text_width;
    let max = width.saturating_sub(1).max(20);
    let mut out = String::new();
    for (n, paragraph) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && measure(&line) + 1 + measure(word) > max {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
    }
    out
}

fn fit(s: &str, width: usize) -> String {
    dialoguer::console::truncate_str(s, width.saturating_sub(1), "…").into_owned()
}

fn pad(s: &str, w: usize) -> String {
    dialoguer::console::pad_str(s, w, dialoguer::console::Alignment::Left, None).into_owned()
}

/// The bindings of an environment, one phrase.
fn bindings_text(ctx: &Ctx, choice: &EnvironmentChoice) -> String {
    let loc = ctx.locale;
    let env = &choice.environment;
    if env.bindings.is_empty() {
        return text(loc, "choose.bindings_none").to_owned();
    }
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
}

/// The short status of a choosable environment, for its row.
fn short_availability(loc: Locale, availability: &Availability) -> String {
    match availability {
        Availability::Selectable => text(loc, "cli.row_selectable").to_owned(),
        Availability::Regenerate => text(loc, "cli.row_regenerate").to_owned(),
        Availability::NeedsTypedConfirmation { .. } => text(loc, "cli.row_overwrite").to_owned(),
        Availability::Unavailable { .. } => text(loc, "cli.row_unavailable").to_owned(),
    }
}

/// Column widths of the environment rows: name, kind.
fn columns(ctx: &Ctx, choices: &[EnvironmentChoice]) -> (usize, usize) {
    let measure = dialoguer::console::measure_text_width;
    let name = choices
        .iter()
        .map(|c| measure(c.environment.name.as_str()))
        .max()
        .unwrap_or(0)
        .min(EnvironmentName::MAX_CHARS);
    let kind = choices
        .iter()
        .map(|c| measure(kind_label(ctx.locale, c.environment.kind)))
        .max()
        .unwrap_or(0);
    (name, kind)
}

/// One row per choosable environment (short columns); the bindings and the
/// full status are the details shown below the list.
fn environment_item(ctx: &Ctx, choice: &EnvironmentChoice, cols: (usize, usize)) -> MenuItem {
    let loc = ctx.locale;
    let env = &choice.environment;
    let label = format!(
        "{}  {}  {}",
        pad(env.name.as_str(), cols.0),
        pad(kind_label(loc, env.kind), cols.1),
        short_availability(loc, &choice.availability)
    );
    let mut detail = vec![bindings_text(ctx, choice)];
    let full = availability_text(loc, &choice.availability);
    if full != short_availability(loc, &choice.availability) {
        detail.push(full);
    }
    MenuItem::new(label).with_detail(detail)
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
            use smartlink_core::DecisionError as D;
            use smartlink_core::wizard::WizardError as W;
            let loc = ctx.locale;
            let message = match &e {
                W::Decision(D::Invalid(v)) => validation_text(loc, v),
                W::Decision(D::NameTaken) => code_text(loc, "name_taken"),
                W::Decision(D::ConfirmationMismatch(_)) => {
                    text(loc, "overwrite.mismatch").to_owned()
                }
                W::Decision(D::NotSelectable { reason, .. }) => render(
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

macro_rules! act {
    ($ctx:expr, $action:expr) => {
        if let Err(code) = apply($ctx, $action).await {
            return code;
        }
    };
}

/// What is known before anything is asked.
enum Known {
    /// Configured: the binding, since when.
    Configured(LocalBinding),
    /// The wizard is needed.
    Unconfigured,
}

/// Reads the local state and the platform's listing before asking anything:
/// a state error, an unreachable platform and inconsistent data are shown
/// first; the installation's remembered name is found.
async fn know_the_situation(ctx: &Ctx, session: &mut Session) -> Result<Known, u8> {
    let loc = ctx.locale;
    let status = ctx.cfg.status().map_err(|e| {
        let (message, code) = report_error(ctx, &ConfiguratorError::State(e), None);
        errln!("{message}");
        code
    })?;
    let own = ctx.own_state();
    session.remembered = own
        .as_ref()
        .and_then(|s| s.installation_name.as_ref())
        .map(|n| n.as_str().to_owned());
    let Some(http) = &ctx.http else {
        return Ok(Known::Unconfigured);
    };
    let envs = loop {
        let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
        let listed = http.list_environments(ctx.spec.line, &ctx.spec.id).await;
        progress.finish();
        match listed {
            Ok(envs) => break envs,
            Err(e) => {
                let support = uuid::Uuid::new_v4().to_string();
                heading(text(loc, "error.title"));
                outln!("{}", platform_message(ctx, &e));
                outln!("{}", text(loc, "error.retry"));
                outln!("{}", render(loc, "cli.support_id", &[("id", &support)]));
                let items = vec![
                    text(loc, "cli.retry").to_owned(),
                    text(loc, "button.cancel").to_owned(),
                ];
                if ask_or(ctx, ctx.ui.select(text(loc, "cli.choose_prompt"), items, 0)).await? != 0
                {
                    outln!("{}", text(loc, "cli.cancelled_by_admin"));
                    return Err(exit::PLATFORM);
                }
            }
        }
    };
    // The name the platform knows this installation by, when bound.
    let platform_name = envs.iter().find_map(|e| {
        e.binding_for(ctx.spec.line)
            .filter(|b| b.installation_id == ctx.spec.id)
            .map(|b| b.installation_name.as_str().to_owned())
    });
    if session.remembered.is_none() {
        session.remembered = platform_name;
    }
    let name = session
        .remembered
        .as_deref()
        .and_then(|n| InstallationName::new(n).ok())
        .or_else(|| ctx.spec.name.clone())
        .or_else(|| InstallationName::new(ctx.spec.id.as_str()).ok())
        .unwrap_or_else(|| InstallationName::new("ERP").expect("a valid constant name"));
    let installation = Installation::new(ctx.spec.id.clone(), name, ctx.spec.line, ctx.spec.kind);
    let local_env = own
        .as_ref()
        .and_then(|s| s.binding.as_ref())
        .map(|b| b.environment_id.clone());
    let classification: Classification = classify(&installation, local_env.as_ref(), &envs);
    if let Scenario::Inconsistent { reason } = &classification.scenario {
        let support = uuid::Uuid::new_v4();
        if ctx.cli.verbose {
            errln!(
                "smartlink-configurator: support id {support}: inconsistent data: {}",
                serde_json::to_string(reason).unwrap_or_default()
            );
        }
        // Drawn as the wizard's error screen would be.
        let screen = Screen::Error {
            support_id: support,
            reason: ErrorReason::Inconsistent {
                inconsistency: reason.clone(),
            },
            retry_allowed: false,
        };
        if let T::Error {
            title,
            support,
            detail_lines,
            ..
        } = screen_texts(loc, &screen).screen
        {
            heading(&title);
            for line in &detail_lines {
                outln!("{line}");
            }
            outln!("{support}");
        }
        return Err(exit::INCONSISTENT);
    }
    match status.binding {
        Some(binding) if !status.needs_configuration => Ok(Known::Configured(binding)),
        _ => Ok(Known::Unconfigured),
    }
}

async fn ask_or<T>(ctx: &Ctx, f: impl Future<Output = Result<T, UiError>>) -> Result<T, u8> {
    f.await.map_err(|e| no_answer(ctx.locale, e))
}

/// A configured installation: what is configured, and what can be done.
/// `Ok(None)`: go on to the wizard (choose another environment).
async fn configured_menu(ctx: &Ctx, binding: &LocalBinding) -> Result<Option<u8>, u8> {
    let loc = ctx.locale;
    loop {
        heading(text(loc, "welcome.title"));
        outln!(
            "{}",
            render(
                loc,
                "cli.already_configured_since",
                &[
                    ("environment", binding.environment_name.as_str()),
                    ("since", &crate::commands::date_text(binding.bound_at)),
                ],
            )
        );
        let items = vec![
            MenuItem::new(text(loc, "cli.menu_rotate"))
                .with_detail(vec![text(loc, "cli.menu_rotate_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_check"))
                .with_detail(vec![text(loc, "cli.menu_check_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_rebind"))
                .with_detail(vec![text(loc, "cli.menu_rebind_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_exit")),
        ];
        let picked = ask_or(ctx, ctx.ui.menu(text(loc, "cli.choose_prompt"), items, 3)).await?;
        match picked {
            Some(0) => return Ok(Some(crate::commands::rotate(ctx).await)),
            Some(1) => {
                crate::commands::check(ctx).await;
            }
            Some(2) => return Ok(None),
            _ => return Ok(Some(exit::OK)),
        }
    }
}

pub async fn run(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let choose = text(loc, "cli.choose_prompt");
    let mut session = Session::default();
    match know_the_situation(ctx, &mut session).await {
        Err(code) => return code,
        Ok(Known::Configured(binding)) => match configured_menu(ctx, &binding).await {
            Err(code) | Ok(Some(code)) => return code,
            // Straight to the name and the list: no first-time welcome.
            Ok(None) => act!(ctx, Action::Start),
        },
        Ok(Known::Unconfigured) => {}
    }
    loop {
        let screen = ctx.cfg.screen();
        // The screen's texts, the same the C ABI sends to its hosts.
        let texts = screen_texts(loc, &screen);
        let back = texts.back.unwrap_or_default();
        let cancel = texts.cancel.unwrap_or_default();
        let confirm = texts.confirm.unwrap_or_default();
        match (screen, texts.screen) {
            (
                Screen::Welcome { .. },
                T::Welcome {
                    title,
                    body,
                    docs,
                    start,
                },
            ) => {
                heading(&title);
                outln!("{}", wrap(&body, width(ctx)));
                outln!("{docs}");
                let items = vec![start, cancel];
                match ask!(ctx, ctx.ui.select(choose, items, 0)) {
                    0 => act!(ctx, Action::Start),
                    _ => return cancelled(ctx),
                }
            }
            (
                Screen::NameInstallation { name, error },
                T::NameInstallation {
                    title,
                    prompt,
                    help,
                    error: error_text,
                },
            ) => {
                heading(&title);
                outln!("{}", wrap(&help, width(ctx)));
                if let Some(e) = &error_text {
                    outln!("✗ {e}");
                }
                // A refused text is not offered again.
                let initial = match (&error, name) {
                    (None, Some(n)) => Some(n),
                    _ => None,
                }
                .or_else(|| session.remembered.clone());
                let validator: Validator = Box::new(move |s: &str| {
                    InstallationName::new(s)
                        .map(|_| ())
                        .map_err(|e| validation_text(loc, &e))
                });
                let typed = ask!(
                    ctx,
                    ctx.ui
                        .input_checked(&prompt, initial.as_deref(), Some(validator))
                );
                if let Some(old) = &session.remembered
                    && let Ok(new) = InstallationName::new(&typed)
                    && new.as_str() != old
                {
                    let items = vec![
                        render(loc, "cli.rename_to", &[("name", new.as_str())]),
                        render(loc, "cli.rename_keep", &[("name", old)]),
                    ];
                    outln!(
                        "{}",
                        render(
                            loc,
                            "cli.rename_question",
                            &[("old", old), ("new", new.as_str())]
                        )
                    );
                    match ask!(
                        ctx,
                        ctx.ui
                            .menu(choose, items.into_iter().map(MenuItem::new).collect(), 1)
                    ) {
                        Some(0) => session.renamed_to = Some(new.as_str().to_owned()),
                        Some(_) => {
                            let keep = old.clone();
                            session.typed = Some(keep.clone());
                            if !set_name(ctx, keep).await {
                                return exit::PLATFORM;
                            }
                            continue;
                        }
                        None => continue,
                    }
                }
                session.typed = Some(typed.clone());
                if !set_name(ctx, typed).await {
                    return exit::PLATFORM;
                }
            }
            (
                Screen::ChooseEnvironment { choices, .. },
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
                let w = width(ctx);
                heading(&title);
                outln!("{}", wrap(&scenario, w));
                if let Some(lost) = &local_binding_lost {
                    outln!("{lost}");
                }
                // The create tab, when offered.
                if let Some(tab_create) = &tab_create {
                    outln!("[ {tab_select} ]   {tab_create}");
                } else {
                    outln!("[ {tab_select} ]");
                }
                if let Some(none) = &no_environments {
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
                let create_index = tab_create.as_ref().map(|tab| {
                    items.push(MenuItem::new(format!("+ {tab}")));
                    items.len() - 1
                });
                items.push(MenuItem::new(back.clone()));
                let back_index = items.len() - 1;
                items.push(MenuItem::new(cancel));
                // The default is never an overwrite: the first free (or own)
                // environment, else the create tab, else Back.
                let default = choosable
                    .iter()
                    .position(|c| {
                        matches!(
                            c.availability,
                            Availability::Selectable | Availability::Regenerate
                        )
                    })
                    .or(create_index)
                    .unwrap_or(back_index);
                let picked = ask!(ctx, ctx.ui.menu(choose, items, default)).unwrap_or(back_index);
                if let Some(choice) = choosable.get(picked) {
                    outln!(
                        "{}",
                        fit(
                            &format!(
                                "{} · {} · {}",
                                choice.environment.name.as_str(),
                                kind_label(loc, choice.environment.kind),
                                bindings_text(ctx, choice)
                            ),
                            w
                        )
                    );
                    let buttons = vec![generate, back];
                    if ask!(ctx, ctx.ui.select(choose, buttons, 0)) == 0 {
                        if let Availability::NeedsTypedConfirmation { replaces } =
                            &choice.availability
                        {
                            session.replaced = Some((
                                replaces.installation_name.as_str().to_owned(),
                                line_label(replaces.line),
                            ));
                        }
                        act!(
                            ctx,
                            Action::Select {
                                environment_id: choice.environment.id.clone(),
                            }
                        );
                    }
                } else if Some(picked) == create_index {
                    heading(tab_create.as_deref().unwrap_or_default());
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
                        create_prompt.unwrap_or_default(),
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
                    let name = ask!(ctx, ctx.ui.input_checked(&prompt, None, Some(validator)));
                    if name.trim().is_empty() {
                        continue;
                    }
                    let buttons = vec![create_button.unwrap_or_default(), back];
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
            (
                Screen::ConfirmRegeneration { environment },
                T::ConfirmRegeneration { title, body },
            ) => {
                heading(&title);
                outln!(
                    "{} · {}",
                    environment.name.as_str(),
                    kind_label(loc, environment.kind)
                );
                outln!("{}", wrap(&body, width(ctx)));
                let buttons = vec![confirm, back];
                match ask!(ctx, ctx.ui.select(choose, buttons, 0)) {
                    0 => act!(ctx, Action::Confirm),
                    _ => act!(ctx, Action::Back),
                }
            }
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
                session.replaced = Some((
                    replaces.installation_name.as_str().to_owned(),
                    line_label(replaces.line),
                ));
                if typed.is_empty() {
                    heading(&title);
                    outln!("{}", wrap(&body, width(ctx)));
                }
                let button = confirm.as_str();
                if confirm_enabled {
                    outln!(
                        "✓ {}",
                        render(loc, "cli.confirm_enabled", &[("button", button)])
                    );
                    let buttons = vec![button.to_owned(), back];
                    match ask!(ctx, ctx.ui.select(choose, buttons, 1)) {
                        0 => act!(ctx, Action::Confirm),
                        _ => act!(ctx, Action::Back),
                    }
                    continue;
                }
                if !typed.is_empty() {
                    outln!(
                        "✗ {}",
                        render(loc, "cli.confirm_disabled", &[("button", button)])
                    );
                }
                let prompt = format!("{type_name} {}", text(loc, "cli.empty_to_go_back"));
                let typed = ask!(ctx, ctx.ui.input(&prompt, None));
                if typed.trim().is_empty() {
                    act!(ctx, Action::Back);
                } else {
                    act!(ctx, Action::TypeConfirmation { text: typed });
                }
            }
            (Screen::Finishing { task_id, .. }, _) => finishing(ctx, task_id).await,
            (
                Screen::Done {
                    environment_name, ..
                },
                T::Done {
                    title,
                    body,
                    credentials,
                },
            ) => {
                let name = session
                    .renamed_to
                    .clone()
                    .or_else(|| session.typed.clone())
                    .or_else(|| session.remembered.clone());
                if let Some(name) = &name {
                    ctx.remember_name(name);
                }
                heading(&title);
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
                                ("environment", environment_name.as_str()),
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
                return exit::OK;
            }
            (
                Screen::Error {
                    support_id,
                    reason,
                    retry_allowed,
                },
                T::Error {
                    title,
                    support,
                    detail_lines,
                    retry,
                    ..
                },
            ) => {
                heading(&title);
                for line in &detail_lines {
                    outln!("{line}");
                }
                let code = match &reason {
                    ErrorReason::Inconsistent { .. } => exit::INCONSISTENT,
                    ErrorReason::Platform { code, detail, .. }
                    | ErrorReason::TaskFailed { code, detail } => {
                        if ctx.cli.verbose {
                            outln!("({detail})");
                        }
                        if let Some(retry) = &retry {
                            outln!("{retry}");
                        }
                        platform_code_exit(code)
                    }
                };
                if code == exit::INCONSISTENT {
                    outln!("{support}");
                } else {
                    let id = support_id.to_string();
                    outln!("{}", render(loc, "cli.support_id", &[("id", &id)]));
                }
                if !retry_allowed {
                    return code;
                }
                let buttons = vec![MenuItem::new(back), MenuItem::new(cancel)];
                match ask!(ctx, ctx.ui.menu(choose, buttons, 0)) {
                    Some(0) | None => act!(ctx, Action::Back),
                    _ => {
                        outln!("{}", text(loc, "cli.cancelled_by_admin"));
                        return code;
                    }
                }
            }
            // `screen_texts` answers each screen with its own kind of texts.
            (screen, _) => unreachable!("texts of another kind for {}", screen.name()),
        }
    }
}

/// Sends the name; `false` when the listing that follows failed outside the
/// wizard (already reported).
async fn set_name(ctx: &Ctx, name: String) -> bool {
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

fn cancelled(ctx: &Ctx) -> u8 {
    outln!("{}", text(ctx.locale, "cli.cancelled_by_admin"));
    exit::DECISION
}
