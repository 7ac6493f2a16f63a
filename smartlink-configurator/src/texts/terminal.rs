//! The terminal configurator's prompts, rows and results (`cli.` keys).

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static TERMINAL: &[Entry] = &[
    (
        "cli.sandbox_started",
        "Plataforma de demonstração (sandbox) em {url}",
        "Plataforma de demostración (sandbox) en {url}",
        "Demo platform (sandbox) at {url}",
    ),
    (
        "cli.state_file",
        "Arquivo de estado: {path}",
        "Archivo de estado: {path}",
        "State file: {path}",
    ),
    (
        "cli.state_memory",
        "Estado local em memória: nada será gravado em disco.",
        "Estado local en memoria: nada se grabará en disco.",
        "Local state in memory: nothing is written to disk.",
    ),
    (
        "cli.state_temporary",
        "O arquivo de estado é temporário e será apagado ao sair; use --state para mantê-lo.",
        "El archivo de estado es temporal y se borrará al salir; use --state para conservarlo.",
        "The state file is temporary and is deleted on exit; use --state to keep it.",
    ),
    (
        "cli.state_required",
        "--platform-url exige --state com o caminho do arquivo de estado ou um URL postgres://.",
        "--platform-url requiere --state con la ruta del archivo de estado o una URL postgres://.",
        "--platform-url needs --state with the state file's path or a postgres:// URL.",
    ),
    (
        "cli.token_required",
        "Informe o token de acesso com --token ou SMARTLINK_TOKEN.",
        "Informe el token de acceso con --token o SMARTLINK_TOKEN.",
        "Give the access token with --token or SMARTLINK_TOKEN.",
    ),
    (
        "cli.installation",
        "Instalação {id} ({line}, {kind})",
        "Instalación {id} ({line}, {kind})",
        "Installation {id} ({line}, {kind})",
    ),
    (
        "cli.choose_prompt",
        "Escolha uma opção",
        "Elija una opción",
        "Choose an option",
    ),
    (
        "cli.invalid_choice",
        "Opção inválida; digite o número de uma das opções.",
        "Opción inválida; escriba el número de una de las opciones.",
        "Invalid choice; type the number of one of the options.",
    ),
    (
        "cli.this_installation",
        "esta instalação",
        "esta instalación",
        "this installation",
    ),
    (
        "cli.bindings",
        "vínculos: {list}",
        "vínculos: {list}",
        "bindings: {list}",
    ),
    (
        "cli.confirm_disabled",
        "[{button}] desabilitado: o texto digitado não corresponde ao nome do ambiente.",
        "[{button}] deshabilitado: el texto escrito no coincide con el nombre del ambiente.",
        "[{button}] disabled: the text typed does not match the environment's name.",
    ),
    (
        "cli.confirm_enabled",
        "O nome confere: [{button}] habilitado.",
        "El nombre coincide: [{button}] habilitado.",
        "The name matches: [{button}] enabled.",
    ),
    (
        "cli.empty_to_go_back",
        "(deixe em branco para voltar)",
        "(deje en blanco para volver)",
        "(leave empty to go back)",
    ),
    (
        "cli.input_ended",
        "A entrada terminou antes de uma decisão; a configuração não foi concluída.",
        "La entrada terminó antes de una decisión; la configuración no se concluyó.",
        "Input ended before a decision; the configuration was not completed.",
    ),
    (
        "cli.cancelled_by_admin",
        "Configuração cancelada; o configurador será exibido novamente no próximo acesso.",
        "Configuración cancelada; el configurador se mostrará de nuevo en el próximo acceso.",
        "Configuration cancelled; the configurator will be shown again at the next login.",
    ),
    (
        "cli.create_kind",
        "O novo ambiente será do tipo {kind}, o mesmo desta instalação.",
        "El nuevo ambiente será del tipo {kind}, el mismo de esta instalación.",
        "The new environment will be of kind {kind}, this installation's kind.",
    ),
    (
        "cli.support_id",
        "Código de suporte: {id}",
        "Código de soporte: {id}",
        "Support code: {id}",
    ),
    (
        "cli.confirmation_required",
        "O ambiente {name} está vinculado a outra instalação desta linha; para sobrescrever, repita o nome do ambiente com --confirm.",
        "El ambiente {name} está vinculado a otra instalación de esta línea; para sobrescribir, repita el nombre del ambiente con --confirm.",
        "Environment {name} is bound to another installation of this line; to overwrite, repeat the environment's name with --confirm.",
    ),
    (
        "cli.name_required",
        "Informe o nome da instalação com --installation-name.",
        "Informe el nombre de la instalación con --installation-name.",
        "Give the installation's name with --installation-name.",
    ),
    (
        "cli.admin_needed",
        "É preciso que um administrador decida: execute o configurador interativo ou informe --environment ou --create.",
        "Se necesita la decisión de un administrador: ejecute el configurador interactivo o informe --environment o --create.",
        "An administrator must decide: run the interactive configurator, or give --environment or --create.",
    ),
    (
        "cli.already_configured",
        "Já configurado; nada a fazer.",
        "Ya configurado; nada que hacer.",
        "Already configured; nothing to do.",
    ),
    (
        "cli.status_revoked",
        "As credenciais {client} foram recusadas pela plataforma em {at} (revogadas ou expiradas, ou URL de token ou método de autenticação errado): foram mantidas, marcadas como recusadas; execute o configurador de novo, ou corrija --token-url/--client-auth e execute check.",
        "Las credenciales {client} fueron rechazadas por la plataforma el {at} (revocadas o expiradas, o URL de token o método de autenticación equivocado): se conservan, marcadas como rechazadas; ejecute el configurador de nuevo, o corrija --token-url/--client-auth y ejecute check.",
        "The credentials {client} were refused by the platform on {at} (revoked or expired, or a wrong token URL or authentication method): they are kept, marked refused; run the configurator again, or fix --token-url/--client-auth and run check.",
    ),
    (
        "cli.nothing_to_do",
        "Já configurado como pedido, no ambiente {name}; nada a fazer.",
        "Ya configurado como se pidió, en el ambiente {name}; nada que hacer.",
        "Already configured as asked, on environment {name}; nothing to do.",
    ),
    (
        "cli.status_temporary",
        "Sem --state, o estado desta execução é temporário: nada a mostrar.",
        "Sin --state, el estado de esta ejecución es temporal: nada que mostrar.",
        "Without --state, this run's state is temporary: nothing to show.",
    ),
    (
        "check.tls_none",
        "não usado (HTTP simples, permitido só em loopback)",
        "no usado (HTTP simple, permitido solo en loopback)",
        "not used (plain HTTP, allowed on loopback only)",
    ),
    (
        "check.tls_rustls",
        "rustls; certificado do servidor verificado pelas raízes confiáveis do sistema",
        "rustls; certificado del servidor verificado con las raíces de confianza del sistema",
        "rustls; the server's certificate verified against the system's trusted roots",
    ),
    (
        "check.proxy_none",
        "nenhum (conexão direta)",
        "ninguno (conexión directa)",
        "none (direct connection)",
    ),
    (
        "check.no_date",
        "O servidor não enviou o cabeçalho Date; diferença de relógio desconhecida.",
        "El servidor no envió la cabecera Date; diferencia de reloj desconocida.",
        "The server sent no Date header; clock skew unknown.",
    ),
    (
        "check.ok",
        "Diagnóstico concluído: tudo certo.",
        "Diagnóstico concluido: todo bien.",
        "Diagnostics complete: all good.",
    ),
    (
        "check.ok_unconfigured",
        "Diagnóstico concluído: a plataforma está bem; esta instalação ainda não tem credenciais.",
        "Diagnóstico concluido: la plataforma está bien; esta instalación aún no tiene credenciales.",
        "Diagnostics complete: the platform is fine; this installation has no credentials yet.",
    ),
    (
        "check.failed",
        "Diagnóstico concluído com problemas.",
        "Diagnóstico concluido con problemas.",
        "Diagnostics found problems.",
    ),
];
