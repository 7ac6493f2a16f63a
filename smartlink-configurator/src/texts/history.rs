//! The binding history's texts: `history`, `--admin` and the table.

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static HISTORY: &[Entry] = &[
    (
        "help.cmd.history",
        "O histórico do vínculo, do mais recente ao mais antigo (só local; nunca grava, nunca um segredo): uma tabela, ou JSON com --json",
        "El historial del vínculo, del más reciente al más antiguo (solo local; nunca escribe, nunca un secreto): una tabla, o JSON con --json",
        "The binding history, newest first (local only; never writes, never a secret): a table, or JSON with --json",
    ),
    (
        "help.arg.history_json",
        "JSON em vez da tabela (as entradas como a biblioteca as dá)",
        "JSON en lugar de la tabla (las entradas como las da la biblioteca)",
        "JSON instead of the table (the entries as the library gives them)",
    ),
    (
        "help.arg.admin",
        "O nome do administrador, registrado no histórico do vínculo com as mudanças desta execução (o assistente, --unattended, rotate, unbind, forget)",
        "El nombre del administrador, registrado en el historial del vínculo con los cambios de esta ejecución (el asistente, --unattended, rotate, unbind, forget)",
        "The administrator's name, recorded in the binding history with the changes this run makes (the wizard, --unattended, rotate, unbind, forget)",
    ),
    (
        "history.title",
        "Histórico do vínculo da instalação {id} ({count} de no máximo {limit} entradas, da mais recente à mais antiga):",
        "Historial del vínculo de la instalación {id} ({count} de un máximo de {limit} entradas, de la más reciente a la más antigua):",
        "Binding history of installation {id} ({count} of at most {limit} entries, newest first):",
    ),
    (
        "history.empty",
        "Nenhuma mudança registrada para esta instalação.",
        "Ningún cambio registrado para esta instalación.",
        "No change recorded for this installation.",
    ),
    (
        "history.col.at",
        "Quando (UTC)",
        "Cuándo (UTC)",
        "When (UTC)",
    ),
    ("history.col.event", "Mudança", "Cambio", "Change"),
    ("history.col.actor", "Por", "Por", "By"),
    (
        "history.col.machine",
        "Máquina (processo)",
        "Máquina (proceso)",
        "Machine (process)",
    ),
    (
        "history.col.environment",
        "Ambiente",
        "Ambiente",
        "Environment",
    ),
    ("history.col.details", "Detalhes", "Detalles", "Details"),
    (
        "history.actor.transparent",
        "automático",
        "automático",
        "automatic",
    ),
    (
        "history.actor.unnamed",
        "(sem nome)",
        "(sin nombre)",
        "(no name)",
    ),
    (
        "history.event.first_binding",
        "primeiro vínculo",
        "primer vínculo",
        "first binding",
    ),
    (
        "history.event.created",
        "ambiente criado e vinculado",
        "ambiente creado y vinculado",
        "environment created and bound",
    ),
    (
        "history.event.regenerated",
        "credenciais geradas de novo",
        "credenciales generadas de nuevo",
        "credentials regenerated",
    ),
    (
        "history.event.rotated",
        "credenciais trocadas",
        "credenciales rotadas",
        "credentials rotated",
    ),
    (
        "history.event.replaced",
        "vínculo substituído",
        "vínculo reemplazado",
        "binding replaced",
    ),
    (
        "history.event.revocation_seen",
        "credenciais recusadas",
        "credenciales rechazadas",
        "credentials refused",
    ),
    (
        "history.event.revocation_lifted",
        "credenciais aceitas de novo",
        "credenciales aceptadas de nuevo",
        "credentials accepted again",
    ),
    (
        "history.event.unbound",
        "desvinculada",
        "desvinculada",
        "unbound",
    ),
    (
        "history.event.forgotten",
        "estado local esquecido",
        "estado local olvidado",
        "local state forgotten",
    ),
    (
        "history.event.task_failed",
        "tarefa falhou",
        "tarea fallida",
        "task failed",
    ),
    (
        "history.replaced",
        "tirou o acesso de {name} ({id})",
        "quitó el acceso a {name} ({id})",
        "took access from {name} ({id})",
    ),
    (
        "history.code",
        "código {code}",
        "código {code}",
        "code {code}",
    ),
    (
        "history.support",
        "suporte {code}",
        "soporte {code}",
        "support {code}",
    ),
];
