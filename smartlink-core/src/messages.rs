//! Every text the configurator shows, in Brazilian Portuguese (the default),
//! Spanish and English, from one catalogue so that every host (terminal, C
//! ABI, ERP UI) uses the same wording.
//!
//! ```
//! use smartlink_core::messages::{Locale, text, render};
//! let es = Locale::parse("es-MX");
//! assert_eq!(es, Locale::Es);
//! assert_eq!(text(Locale::PtBr, "welcome.start"), "Iniciar");
//! assert_eq!(render(Locale::En, "overwrite.type_name", &[("name", "Prod")]),
//!            "To confirm, type the environment's name: Prod");
//! ```

use serde::{Deserialize, Serialize};

use crate::environment::Binding;
use crate::error::ValidationError;
use crate::installation::{ErpLine, Kind};
use crate::rules::{Availability, EnvironmentChoice, Inconsistency, Scenario, UnavailableReason};
use crate::wizard::{ErrorReason, TaskStep};

/// A language of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    /// Português (Brasil): the default.
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    /// Español.
    #[serde(rename = "es")]
    Es,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Locale {
    /// Every locale.
    pub const ALL: [Locale; 3] = [Locale::PtBr, Locale::Es, Locale::En];

    /// Parses a locale tag leniently (`pt`, `pt_BR`, `es-AR`, `en-US`, ...);
    /// anything unknown falls back to pt-BR.
    pub fn parse(tag: &str) -> Locale {
        let lang = tag
            .trim()
            .split(['-', '_', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "es" => Locale::Es,
            "en" => Locale::En,
            _ => Locale::PtBr,
        }
    }

    /// The tag (`pt-BR`, `es`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::PtBr => "pt-BR",
            Locale::Es => "es",
            Locale::En => "en",
        }
    }
}

/// (key, pt-BR, es, en). Placeholders are `{name}`.
pub(crate) static CATALOG: &[(&str, &str, &str, &str)] = &[
    // Welcome
    (
        "welcome.title",
        "Configurador SmartLink",
        "Configurador SmartLink",
        "SmartLink Configurator",
    ),
    (
        "welcome.body",
        "Para usar as aplicações da Plataforma TOTVS, esta instalação do ERP precisa ser vinculada a um ambiente e receber credenciais. Este assistente faz isso em poucos passos.",
        "Para usar las aplicaciones de la Plataforma TOTVS, esta instalación del ERP debe vincularse a un ambiente y recibir credenciales. Este asistente lo hace en pocos pasos.",
        "To use the TOTVS Platform's applications, this ERP installation must be bound to an environment and receive credentials. This wizard does it in a few steps.",
    ),
    (
        "welcome.docs",
        "Documentação: {url}",
        "Documentación: {url}",
        "Documentation: {url}",
    ),
    ("welcome.start", "Iniciar", "Iniciar", "Start"),
    // Name
    (
        "name.title",
        "Identifique a instalação",
        "Identifique la instalación",
        "Name this installation",
    ),
    (
        "name.prompt",
        "Nome da instalação (até 80 caracteres)",
        "Nombre de la instalación (hasta 80 caracteres)",
        "Installation name (up to 80 characters)",
    ),
    (
        "name.help",
        "Um nome que identifique esta instalação em todas as interações futuras.",
        "Un nombre que identifique esta instalación en todas las interacciones futuras.",
        "A name that identifies this installation in every later interaction.",
    ),
    // Choose
    (
        "choose.title",
        "Escolha o ambiente",
        "Elija el ambiente",
        "Choose the environment",
    ),
    (
        "choose.tab_select",
        "Selecionar ambiente",
        "Seleccionar ambiente",
        "Select environment",
    ),
    (
        "choose.tab_create",
        "Criar novo ambiente",
        "Crear nuevo ambiente",
        "Create new environment",
    ),
    (
        "choose.generate",
        "Gerar novas credenciais",
        "Generar nuevas credenciales",
        "Generate new credentials",
    ),
    (
        "choose.create_button",
        "Criar e gerar credenciais",
        "Crear y generar credenciales",
        "Create and generate credentials",
    ),
    (
        "choose.create_prompt",
        "Nome do novo ambiente (até 20 caracteres)",
        "Nombre del nuevo ambiente (hasta 20 caracteres)",
        "New environment's name (up to 20 characters)",
    ),
    (
        "choose.scenario.first_binding",
        "Esta instalação ainda não está vinculada a nenhum ambiente.",
        "Esta instalación aún no está vinculada a ningún ambiente.",
        "This installation is not bound to any environment yet.",
    ),
    (
        "choose.scenario.already_bound",
        "Esta instalação já está vinculada ao ambiente {name}. Só é possível gerar novas credenciais nele.",
        "Esta instalación ya está vinculada al ambiente {name}. Solo es posible generar nuevas credenciales en él.",
        "This installation is already bound to environment {name}. Only new credentials can be generated there.",
    ),
    (
        "choose.scenario.replacement",
        "Há ambientes vinculados a outra instalação {line} (a instalação pode ter sido substituída: novo banco de dados ou servidor). Crie um novo ambiente ou sobrescreva o vínculo existente.",
        "Hay ambientes vinculados a otra instalación {line} (la instalación puede haber sido sustituida: nueva base de datos o servidor). Cree un nuevo ambiente o sobrescriba el vínculo existente.",
        "Some environments are bound to another {line} installation (this installation may have replaced it: a new database or server). Create a new environment or overwrite the existing binding.",
    ),
    (
        "choose.local_binding_lost",
        "O vínculo registrado localmente não existe mais na plataforma; escolha novamente.",
        "El vínculo registrado localmente ya no existe en la plataforma; elija de nuevo.",
        "The binding recorded locally no longer exists on the platform; choose again.",
    ),
    (
        "choose.no_environments",
        "Nenhum ambiente listado.",
        "Ningún ambiente listado.",
        "No environments listed.",
    ),
    (
        "choose.bindings_none",
        "sem instalações vinculadas",
        "sin instalaciones vinculadas",
        "no installations bound",
    ),
    (
        "choose.binding",
        "{line}: {name}",
        "{line}: {name}",
        "{line}: {name}",
    ),
    (
        "choose.this_installation",
        "esta instalação",
        "esta instalación",
        "this installation",
    ),
    (
        "availability.selectable",
        "disponível",
        "disponible",
        "available",
    ),
    (
        "availability.regenerate",
        "vinculado a esta instalação",
        "vinculado a esta instalación",
        "bound to this installation",
    ),
    (
        "availability.needs_confirmation",
        "ocupado por outra instalação {line}: exige confirmação",
        "ocupado por otra instalación {line}: requiere confirmación",
        "held by another {line} installation: needs confirmation",
    ),
    (
        "availability.kind_mismatch",
        "tipo diferente ({kind})",
        "tipo diferente ({kind})",
        "different kind ({kind})",
    ),
    (
        "availability.bound_elsewhere",
        "a instalação já está vinculada a outro ambiente",
        "la instalación ya está vinculada a otro ambiente",
        "the installation is bound to another environment",
    ),
    // Regeneration alert
    (
        "regenerate.title",
        "Gerar novas credenciais",
        "Generar nuevas credenciales",
        "Generate new credentials",
    ),
    (
        "regenerate.body",
        "As credenciais atuais serão reutilizadas se ainda forem válidas; caso contrário, novas credenciais serão emitidas e as anteriores deixarão de funcionar. Confirmar?",
        "Las credenciales actuales se reutilizarán si aún son válidas; de lo contrario, se emitirán nuevas y las anteriores dejarán de funcionar. ¿Confirmar?",
        "The current credentials will be reused if still valid; otherwise new ones will be issued and the old ones will stop working. Confirm?",
    ),
    // Overwrite alert
    (
        "overwrite.title",
        "Sobrescrever vínculo",
        "Sobrescribir vínculo",
        "Overwrite binding",
    ),
    (
        "overwrite.body",
        "O ambiente {environment} está vinculado à instalação {installation} ({line}). Ao sobrescrever, ela perderá o acesso e suas credenciais serão revogadas. Uma cópia de teste usando as credenciais de produção rouba as mensagens de produção: confirme apenas se esta instalação substituiu a anterior.",
        "El ambiente {environment} está vinculado a la instalación {installation} ({line}). Al sobrescribir, esta perderá el acceso y sus credenciales serán revocadas. Una copia de prueba que usa las credenciales de producción roba los mensajes de producción: confirme solo si esta instalación sustituyó a la anterior.",
        "Environment {environment} is bound to installation {installation} ({line}). Overwriting removes its access and revokes its credentials. A test copy using production's credentials steals production's messages: confirm only if this installation replaced that one.",
    ),
    (
        "overwrite.type_name",
        "Para confirmar, digite o nome do ambiente: {name}",
        "Para confirmar, escriba el nombre del ambiente: {name}",
        "To confirm, type the environment's name: {name}",
    ),
    (
        "overwrite.mismatch",
        "O texto digitado não corresponde ao nome do ambiente.",
        "El texto escrito no coincide con el nombre del ambiente.",
        "The text typed does not match the environment's name.",
    ),
    // Buttons
    ("button.confirm", "Confirmar", "Confirmar", "Confirm"),
    ("button.back", "Voltar", "Volver", "Back"),
    ("button.cancel", "Cancelar", "Cancelar", "Cancel"),
    // Finishing
    (
        "finishing.title",
        "Concluindo a configuração",
        "Concluyendo la configuración",
        "Finishing the configuration",
    ),
    (
        "finishing.body",
        "O restante é feito em segundo plano; não é preciso aguardar. Se algo falhar, o configurador será exibido novamente no próximo acesso.",
        "El resto se hace en segundo plano; no es necesario esperar. Si algo falla, el configurador se mostrará de nuevo en el próximo acceso.",
        "The rest runs in the background; you need not wait. If it fails, the configurator will be shown again at the next login.",
    ),
    (
        "step.waiting_for_lock",
        "Aguardando outro servidor desta instalação…",
        "Esperando a otro servidor de esta instalación…",
        "Waiting for another server of this installation…",
    ),
    (
        "step.creating",
        "Criando o ambiente…",
        "Creando el ambiente…",
        "Creating the environment…",
    ),
    (
        "step.binding",
        "Vinculando a instalação…",
        "Vinculando la instalación…",
        "Binding the installation…",
    ),
    (
        "step.issuing_credentials",
        "Emitindo credenciais…",
        "Emitiendo credenciales…",
        "Issuing credentials…",
    ),
    (
        "step.verifying",
        "Validando as credenciais…",
        "Validando las credenciales…",
        "Verifying the credentials…",
    ),
    (
        "step.storing",
        "Gravando a configuração…",
        "Guardando la configuración…",
        "Storing the configuration…",
    ),
    // Done
    (
        "done.title",
        "Configuração concluída",
        "Configuración concluida",
        "Configuration complete",
    ),
    (
        "done.body",
        "Esta instalação está vinculada ao ambiente {name}.",
        "Esta instalación está vinculada al ambiente {name}.",
        "This installation is bound to environment {name}.",
    ),
    (
        "done.reused",
        "As credenciais atuais continuavam válidas e foram mantidas.",
        "Las credenciales actuales seguían válidas y se mantuvieron.",
        "The current credentials were still valid and were kept.",
    ),
    (
        "done.issued",
        "Novas credenciais foram emitidas e validadas.",
        "Se emitieron y validaron nuevas credenciales.",
        "New credentials were issued and verified.",
    ),
    // Error
    (
        "error.title",
        "Não foi possível concluir",
        "No fue posible concluir",
        "Could not finish",
    ),
    (
        "error.support",
        "Entre em contato com o suporte TOTVS e informe o código {id}.",
        "Póngase en contacto con el soporte TOTVS e informe el código {id}.",
        "Contact TOTVS support and give them the code {id}.",
    ),
    (
        "error.retry",
        "Tente novamente mais tarde ou volte e escolha outra opção.",
        "Intente de nuevo más tarde o vuelva y elija otra opción.",
        "Try again later, or go back and choose another option.",
    ),
    (
        "error.inconsistent",
        "Os dados desta instalação estão inconsistentes.",
        "Los datos de esta instalación son inconsistentes.",
        "This installation's data is inconsistent.",
    ),
    (
        "inconsistency.invalid_installation_data",
        "Os dados de identificação informados pelo ERP são inválidos.",
        "Los datos de identificación informados por el ERP no son válidos.",
        "The identification data given by the ERP is invalid.",
    ),
    (
        "inconsistency.bound_to_several_environments",
        "A plataforma mostra esta instalação vinculada a mais de um ambiente.",
        "La plataforma muestra esta instalación vinculada a más de un ambiente.",
        "The platform shows this installation bound to more than one environment.",
    ),
    (
        "inconsistency.bound_under_other_line",
        "A plataforma mostra esta instalação vinculada como outra linha de ERP.",
        "La plataforma muestra esta instalación vinculada como otra línea de ERP.",
        "The platform shows this installation bound as another ERP line.",
    ),
    (
        "inconsistency.bound_environment_kind_differs",
        "Esta instalação está vinculada a um ambiente de outro tipo.",
        "Esta instalación está vinculada a un ambiente de otro tipo.",
        "This installation is bound to an environment of another kind.",
    ),
    (
        "inconsistency.duplicate_line_in_environment",
        "Um ambiente mostra duas instalações da mesma linha.",
        "Un ambiente muestra dos instalaciones de la misma línea.",
        "An environment shows two installations of the same line.",
    ),
    (
        "inconsistency.duplicate_environment",
        "A plataforma listou o mesmo ambiente duas vezes.",
        "La plataforma listó el mismo ambiente dos veces.",
        "The platform listed the same environment twice.",
    ),
    (
        "inconsistency.local_state_contradicts",
        "O vínculo registrado localmente contradiz o da plataforma.",
        "El vínculo registrado localmente contradice el de la plataforma.",
        "The binding recorded locally contradicts the platform's.",
    ),
    // Platform and task errors, by code
    (
        "code.invalid_request",
        "A requisição foi recusada como inválida.",
        "La solicitud fue rechazada por inválida.",
        "The request was refused as invalid.",
    ),
    (
        "code.unauthorized",
        "O token de acesso não foi aceito; entre novamente no ERP.",
        "El token de acceso no fue aceptado; ingrese de nuevo al ERP.",
        "The access token was not accepted; log in to the ERP again.",
    ),
    (
        "code.forbidden",
        "Sem permissão. Apenas a empresa principal do cliente pode criar ambientes.",
        "Sin permiso. Solo la empresa principal del cliente puede crear ambientes.",
        "Not allowed. Only the customer's main company may create environments.",
    ),
    (
        "code.not_found",
        "O ambiente não existe mais.",
        "El ambiente ya no existe.",
        "The environment no longer exists.",
    ),
    (
        "code.name_taken",
        "Já existe um ambiente com esse nome.",
        "Ya existe un ambiente con ese nombre.",
        "An environment with that name already exists.",
    ),
    (
        "code.binding_exists",
        "Outra instalação desta linha já está vinculada a esse ambiente.",
        "Otra instalación de esta línea ya está vinculada a ese ambiente.",
        "Another installation of this line is already bound to that environment.",
    ),
    (
        "code.installation_bound_elsewhere",
        "Esta instalação já está vinculada a outro ambiente.",
        "Esta instalación ya está vinculada a otro ambiente.",
        "This installation is already bound to another environment.",
    ),
    (
        "code.not_bound",
        "Esta instalação não está vinculada a esse ambiente.",
        "Esta instalación no está vinculada a ese ambiente.",
        "This installation is not bound to that environment.",
    ),
    (
        "code.precondition_failed",
        "O ambiente mudou desde que foi listado; revise a lista e escolha novamente.",
        "El ambiente cambió desde que fue listado; revise la lista y elija de nuevo.",
        "The environment changed since it was listed; review the list and choose again.",
    ),
    (
        "code.invalid_name",
        "O nome não é aceito pela plataforma.",
        "El nombre no es aceptado por la plataforma.",
        "The platform does not accept that name.",
    ),
    (
        "code.kind_mismatch",
        "O tipo do ambiente é diferente do tipo da instalação.",
        "El tipo del ambiente es diferente del tipo de la instalación.",
        "The environment's kind differs from the installation's.",
    ),
    (
        "code.idempotency_key_reused",
        "Conflito de repetição da requisição.",
        "Conflicto de repetición de la solicitud.",
        "Request replay conflict.",
    ),
    (
        "code.precondition_required",
        "Erro interno do cliente (If-Match ausente).",
        "Error interno del cliente (falta If-Match).",
        "Client bug (If-Match missing).",
    ),
    (
        "code.rate_limited",
        "A plataforma pediu para aguardar; tente novamente em instantes.",
        "La plataforma pidió esperar; intente de nuevo en unos instantes.",
        "The platform asked to slow down; try again shortly.",
    ),
    (
        "code.internal",
        "Erro interno da plataforma.",
        "Error interno de la plataforma.",
        "Internal platform error.",
    ),
    (
        "code.unavailable",
        "A plataforma está indisponível no momento.",
        "La plataforma no está disponible en este momento.",
        "The platform is unavailable right now.",
    ),
    (
        "code.invalid_client",
        "As credenciais emitidas não foram aceitas.",
        "Las credenciales emitidas no fueron aceptadas.",
        "The credentials issued were not accepted.",
    ),
    (
        "code.invalid_token",
        "O token de acesso não foi aceito; um novo será obtido.",
        "El token de acceso no fue aceptado; se obtendrá uno nuevo.",
        "The access token was not accepted; a new one will be obtained.",
    ),
    (
        "code.credentials_revoked",
        "As credenciais desta instalação foram revogadas ou expiraram. Abra o configurador para vinculá-la novamente.",
        "Las credenciales de esta instalación fueron revocadas o expiraron. Abra el configurador para vincularla de nuevo.",
        "This installation's credentials were revoked or expired. Open the configurator to bind it again.",
    ),
    (
        "code.transport",
        "Não foi possível conectar à plataforma (rede, proxy ou TLS).",
        "No fue posible conectar con la plataforma (red, proxy o TLS).",
        "Could not connect to the platform (network, proxy or TLS).",
    ),
    (
        "code.timeout",
        "A plataforma não respondeu a tempo.",
        "La plataforma no respondió a tiempo.",
        "The platform did not answer in time.",
    ),
    (
        "code.protocol",
        "A resposta da plataforma não segue o contrato.",
        "La respuesta de la plataforma no sigue el contrato.",
        "The platform's answer does not follow the contract.",
    ),
    (
        "code.response_too_large",
        "A resposta da plataforma é grande demais.",
        "La respuesta de la plataforma es demasiado grande.",
        "The platform's answer is too large.",
    ),
    (
        "code.config",
        "Configuração de conexão inválida (URL, proxy ou certificados).",
        "Configuración de conexión inválida (URL, proxy o certificados).",
        "Invalid connection settings (URL, proxy or certificates).",
    ),
    (
        "code.state",
        "Não foi possível gravar a configuração local.",
        "No fue posible guardar la configuración local.",
        "Could not write the local configuration.",
    ),
    (
        "code.busy",
        "Outro servidor desta instalação está configurando; tente novamente em instantes.",
        "Otro servidor de esta instalación está configurando; intente de nuevo en unos instantes.",
        "Another server of this installation is configuring it; try again shortly.",
    ),
    (
        "code.cancelled",
        "Operação cancelada.",
        "Operación cancelada.",
        "Operation cancelled.",
    ),
    (
        "code.not_allowed",
        "Esta ação não está disponível nesta tela.",
        "Esta acción no está disponible en esta pantalla.",
        "That action is not available on this screen.",
    ),
    (
        "code.not_selectable",
        "Este ambiente não pode ser escolhido.",
        "Este ambiente no puede ser elegido.",
        "That environment cannot be chosen.",
    ),
    (
        "code.confirmation_mismatch",
        "O texto digitado não corresponde ao nome do ambiente.",
        "El texto escrito no coincide con el nombre del ambiente.",
        "The text typed does not match the environment's name.",
    ),
    (
        "code.confirmation_required",
        "Este ambiente pertence a outra instalação desta linha: repita o nome do ambiente para confirmar.",
        "Este ambiente pertenece a otra instalación de esta línea: repita el nombre del ambiente para confirmar.",
        "That environment is held by another installation of this line: repeat its name to confirm.",
    ),
    (
        "code.environment_not_found",
        "Nenhum ambiente com esse nome foi encontrado.",
        "No se encontró ningún ambiente con ese nombre.",
        "No environment with that name was found.",
    ),
    (
        "code.create_not_offered",
        "Não é possível criar um ambiente: a instalação já está vinculada.",
        "No es posible crear un ambiente: la instalación ya está vinculada.",
        "An environment cannot be created: the installation is already bound.",
    ),
    (
        "code.name_required",
        "Informe o nome da instalação.",
        "Informe el nombre de la instalación.",
        "Give the installation's name.",
    ),
    (
        "code.inconsistent",
        "Os dados desta instalação estão inconsistentes.",
        "Los datos de esta instalación son inconsistentes.",
        "This installation's data is inconsistent.",
    ),
    (
        "code.invalid",
        "O valor informado não é válido.",
        "El valor informado no es válido.",
        "The value given is not valid.",
    ),
    (
        "code.refused",
        "A ação foi recusada.",
        "La acción fue rechazada.",
        "The action was refused.",
    ),
    (
        "code.decision",
        "A decisão foi recusada.",
        "La decisión fue rechazada.",
        "The decision was refused.",
    ),
    (
        "code.not_configured",
        "Esta instalação não está configurada.",
        "Esta instalación no está configurada.",
        "This installation is not configured.",
    ),
    (
        "code.invalid_handle",
        "Identificador de configuração inválido ou já fechado.",
        "Identificador de configuración inválido o ya cerrado.",
        "Invalid or closed configuration handle.",
    ),
    (
        "code.unknown_operation",
        "Operação desconhecida.",
        "Operación desconocida.",
        "Unknown operation.",
    ),
    (
        "code.invalid_config",
        "Configuração inválida.",
        "Configuración inválida.",
        "Invalid configuration.",
    ),
    (
        "code.invalid_installation",
        "Os dados de identificação informados pelo ERP são inválidos.",
        "Los datos de identificación informados por el ERP no son válidos.",
        "The identification data given by the ERP is invalid.",
    ),
    (
        "code.invalid_json",
        "Requisição JSON inválida.",
        "Solicitud JSON inválida.",
        "Invalid JSON request.",
    ),
    (
        "code.invalid_utf8",
        "Texto com codificação inválida (esperado UTF-8).",
        "Texto con codificación inválida (se esperaba UTF-8).",
        "Text with an invalid encoding (UTF-8 expected).",
    ),
    (
        "code.buffer_too_small",
        "O espaço de retorno é pequeno demais.",
        "El espacio de retorno es demasiado pequeño.",
        "The output buffer is too small.",
    ),
    (
        "code.panic",
        "Erro interno da biblioteca.",
        "Error interno de la biblioteca.",
        "Internal library error.",
    ),
    (
        "code.runtime",
        "Não foi possível executar a operação (identificador fechado).",
        "No fue posible ejecutar la operación (identificador cerrado).",
        "The operation could not run (handle closed).",
    ),
    (
        "code.task_failed",
        "A configuração falhou.",
        "La configuración falló.",
        "The configuration failed.",
    ),
    (
        "code.null_argument",
        "Argumento ausente.",
        "Falta un argumento.",
        "A required argument is missing.",
    ),
    (
        "code.unknown",
        "Erro inesperado.",
        "Error inesperado.",
        "Unexpected error.",
    ),
    // Validation
    (
        "validation.empty",
        "O campo não pode ficar vazio.",
        "El campo no puede quedar vacío.",
        "The field must not be empty.",
    ),
    (
        "validation.too_long",
        "Use no máximo {max} caracteres.",
        "Use como máximo {max} caracteres.",
        "Use at most {max} characters.",
    ),
    (
        "validation.control",
        "Caracteres de controle não são permitidos.",
        "No se permiten caracteres de control.",
        "Control characters are not allowed.",
    ),
    (
        "validation.invalid",
        "O valor contém caracteres não permitidos.",
        "El valor contiene caracteres no permitidos.",
        "The value contains characters that are not allowed.",
    ),
    // Status and check (diagnostics)
    (
        "status.configured",
        "Configurado: ambiente {name} ({id}), desde {since}.",
        "Configurado: ambiente {name} ({id}), desde {since}.",
        "Configured: environment {name} ({id}), since {since}.",
    ),
    (
        "status.not_configured",
        "Não configurado: o configurador será exibido no próximo acesso.",
        "No configurado: el configurador se mostrará en el próximo acceso.",
        "Not configured: the configurator will be shown at the next login.",
    ),
    (
        "status.client",
        "Cliente OAuth2: {id} (segredo oculto)",
        "Cliente OAuth2: {id} (secreto oculto)",
        "OAuth2 client: {id} (secret hidden)",
    ),
    (
        "status.expires",
        "Credenciais expiram em {at}.",
        "Las credenciales expiran el {at}.",
        "Credentials expire at {at}.",
    ),
    (
        "status.never_expires",
        "Credenciais sem data de expiração.",
        "Credenciales sin fecha de expiración.",
        "Credentials do not expire.",
    ),
    (
        "status.clone",
        "O estado local pertence a outra instalação (banco copiado?) e não será usado.",
        "El estado local pertenece a otra instalación (¿base copiada?) y no se usará.",
        "The local state belongs to another installation (a copied database?) and will not be used.",
    ),
    (
        "status.last_failure",
        "Última tentativa falhou ({code}); código de suporte {id}.",
        "El último intento falló ({code}); código de soporte {id}.",
        "The last attempt failed ({code}); support code {id}.",
    ),
    (
        "status.interrupted",
        "Uma configuração foi interrompida (código {id}).",
        "Una configuración fue interrumpida (código {id}).",
        "A configuration was interrupted (code {id}).",
    ),
    (
        "check.reachable",
        "Plataforma acessível em {url} ({ms} ms).",
        "Plataforma accesible en {url} ({ms} ms).",
        "Platform reachable at {url} ({ms} ms).",
    ),
    (
        "check.unreachable",
        "Plataforma inacessível: {detail}",
        "Plataforma inaccesible: {detail}",
        "Platform unreachable: {detail}",
    ),
    (
        "check.tls",
        "TLS: {detail}",
        "TLS: {detail}",
        "TLS: {detail}",
    ),
    (
        "check.proxy",
        "Proxy: {detail}",
        "Proxy: {detail}",
        "Proxy: {detail}",
    ),
    (
        "check.clock",
        "Diferença de relógio em relação ao servidor: {seconds} s.",
        "Diferencia de reloj con el servidor: {seconds} s.",
        "Clock skew against the server: {seconds} s.",
    ),
    (
        "check.clock_warning",
        "Atenção: o relógio deste servidor está desajustado; credenciais podem ser recusadas.",
        "Atención: el reloj de este servidor está desajustado; las credenciales pueden ser rechazadas.",
        "Warning: this server's clock is off; credentials may be refused.",
    ),
    (
        "check.token_ok",
        "Token aceito pela plataforma.",
        "Token aceptado por la plataforma.",
        "Token accepted by the platform.",
    ),
    (
        "check.token_refused",
        "Token recusado pela plataforma.",
        "Token rechazado por la plataforma.",
        "Token refused by the platform.",
    ),
    // Terminal configurator (examples/configurator)
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
        "--platform-url exige --state com o caminho do arquivo de estado.",
        "--platform-url requiere --state con la ruta del archivo de estado.",
        "--platform-url needs --state with the state file's path.",
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
        "cli.unavailable_pick",
        "Este ambiente não pode ser escolhido: {reason}.",
        "Este ambiente no puede elegirse: {reason}.",
        "This environment cannot be chosen: {reason}.",
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
        "cli.environment_not_found",
        "Nenhum ambiente chamado \"{name}\" foi listado.",
        "Ningún ambiente llamado \"{name}\" fue listado.",
        "No environment named \"{name}\" is listed.",
    ),
    (
        "cli.confirmation_required",
        "O ambiente {name} está vinculado a outra instalação desta linha; para sobrescrever, repita o nome do ambiente com --confirm.",
        "El ambiente {name} está vinculado a otra instalación de esta línea; para sobrescribir, repita el nombre del ambiente con --confirm.",
        "Environment {name} is bound to another installation of this line; to overwrite, repeat the environment's name with --confirm.",
    ),
    (
        "cli.create_not_offered",
        "Criar um ambiente não é oferecido: esta instalação já está vinculada.",
        "Crear un ambiente no se ofrece: esta instalación ya está vinculada.",
        "Creating an environment is not offered: this installation is already bound.",
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
        "As credenciais {client} foram recusadas pela plataforma em {at} (revogadas): execute o configurador de novo.",
        "Las credenciales {client} fueron rechazadas por la plataforma el {at} (revocadas): ejecute el configurador de nuevo.",
        "The credentials {client} were refused by the platform on {at} (revoked): run the configurator again.",
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
        "check.failed",
        "Diagnóstico concluído com problemas.",
        "Diagnóstico concluido con problemas.",
        "Diagnostics found problems.",
    ),
    // The terminal configurator: lifecycle, situation, help and usage
    (
        "cause.connect",
        "(a conexão não pôde ser feita)",
        "(no se pudo establecer la conexión)",
        "(the connection could not be made)",
    ),
    (
        "cause.dns",
        "o nome do servidor não foi encontrado (DNS)",
        "no se encontró el nombre del servidor (DNS)",
        "the server's name was not found (DNS)",
    ),
    (
        "cause.http",
        "a conexão foi feita, mas a troca HTTP falhou",
        "la conexión se estableció, pero el intercambio HTTP falló",
        "the connection was made, but the HTTP exchange failed",
    ),
    (
        "cause.network",
        "a rede não alcança o servidor",
        "la red no alcanza el servidor",
        "the network does not reach the server",
    ),
    (
        "cause.proxy",
        "o proxy configurado não conectou ao servidor",
        "el proxy configurado no conectó con el servidor",
        "the configured proxy did not connect to the server",
    ),
    (
        "cause.refused",
        "a conexão foi recusada (nada escuta nesse endereço e porta)",
        "la conexión fue rechazada (nada escucha en esa dirección y puerto)",
        "the connection was refused (nothing listens at that address and port)",
    ),
    (
        "cause.timeout",
        "o servidor não respondeu a tempo",
        "el servidor no respondió a tiempo",
        "the server did not answer in time",
    ),
    (
        "cause.tls",
        "a conexão segura (TLS) falhou: certificado ou protocolo",
        "la conexión segura (TLS) falló: certificado o protocolo",
        "the secure connection (TLS) failed: certificate or protocol",
    ),
    (
        "cli.already_configured_since",
        "Já configurado: {environment} desde {since}.",
        "Ya configurado: {environment} desde {since}.",
        "Already configured: {environment} since {since}.",
    ),
    (
        "cli.check_clock_unknown",
        "Relógio: não medido (a plataforma não respondeu).",
        "Reloj: no medido (la plataforma no respondió).",
        "Clock: not measured (the platform did not answer).",
    ),
    (
        "cli.check_token_unknown",
        "Token: não verificado (a plataforma não respondeu).",
        "Token: no verificado (la plataforma no respondió).",
        "Token: not checked (the platform did not answer).",
    ),
    (
        "cli.check_unreachable",
        "Plataforma inacessível em {url}: {cause}.",
        "Plataforma inaccesible en {url}: {cause}.",
        "Platform unreachable at {url}: {cause}.",
    ),
    (
        "cli.done_lost_access",
        "A instalação {line} “{installation}” perdeu o acesso ao ambiente {environment}.",
        "La instalación {line} «{installation}» perdió el acceso al ambiente {environment}.",
        "The {line} installation “{installation}” lost access to the environment {environment}.",
    ),
    (
        "cli.done_renamed",
        "A instalação foi renomeada de “{old}” para “{new}”.",
        "La instalación fue renombrada de «{old}» a «{new}».",
        "The installation was renamed from “{old}” to “{new}”.",
    ),
    (
        "cli.done_stored_file",
        "Credenciais gravadas em {path} (somente o dono lê).",
        "Credenciales guardadas en {path} (solo el propietario lee).",
        "Credentials stored in {path} (readable by its owner only).",
    ),
    (
        "cli.done_stored_memory",
        "Credenciais mantidas só em memória: nada foi gravado em disco.",
        "Credenciales mantenidas solo en memoria: nada se guardó en disco.",
        "Credentials kept in memory only: nothing was written to disk.",
    ),
    (
        "cli.done_stored_temporary",
        "Credenciais gravadas em {path}, um diretório temporário apagado ao sair.",
        "Credenciales guardadas en {path}, un directorio temporal borrado al salir.",
        "Credentials stored in {path}, a temporary directory removed on exit.",
    ),
    (
        "cli.forgotten",
        "O estado local foi esquecido. A plataforma mantém o vínculo; --unattended obtém as credenciais de novo.",
        "Se olvidó el estado local. La plataforma mantiene el vínculo; --unattended obtiene las credenciales de nuevo.",
        "The local state was forgotten. The platform keeps the binding; --unattended obtains the credentials again.",
    ),
    (
        "cli.last_failure",
        "A última tentativa falhou: {reason} Código de suporte: {id}.",
        "El último intento falló: {reason} Código de soporte: {id}.",
        "The last attempt failed: {reason} Support code: {id}.",
    ),
    (
        "cli.menu_check",
        "Verificar a conexão",
        "Verificar la conexión",
        "Check the connection",
    ),
    (
        "cli.menu_check_detail",
        "Alcança a plataforma, TLS, proxy, relógio e token.",
        "Alcanza la plataforma, TLS, proxy, reloj y token.",
        "Reaches the platform; TLS, proxy, clock and token.",
    ),
    ("cli.menu_exit", "Sair", "Salir", "Exit"),
    (
        "cli.menu_rebind",
        "Escolher outro ambiente",
        "Elegir otro ambiente",
        "Choose another environment",
    ),
    (
        "cli.menu_rebind_detail",
        "Abre a lista de ambientes, como na primeira vez.",
        "Abre la lista de ambientes, como la primera vez.",
        "Opens the list of environments, as the first time.",
    ),
    (
        "cli.menu_rotate",
        "Gerar novas credenciais",
        "Generar nuevas credenciales",
        "Generate new credentials",
    ),
    (
        "cli.menu_rotate_detail",
        "Emite, verifica e só então substitui as credenciais gravadas.",
        "Emite, verifica y solo entonces reemplaza las credenciales guardadas.",
        "Issues, verifies, and only then replaces the stored credentials.",
    ),
    (
        "cli.not_choosable",
        "Não podem ser escolhidos por esta instalação:",
        "No pueden ser elegidos por esta instalación:",
        "Cannot be chosen by this installation:",
    ),
    (
        "cli.nothing_to_forget",
        "Não havia estado local desta instalação: nada a esquecer.",
        "No había estado local de esta instalación: nada que olvidar.",
        "There was no local state for this installation: nothing to forget.",
    ),
    (
        "cli.rename_keep",
        "Manter “{name}”",
        "Mantener «{name}»",
        "Keep “{name}”",
    ),
    (
        "cli.rename_question",
        "Esta instalação se chama “{old}”. Renomear para “{new}”?",
        "Esta instalación se llama «{old}». ¿Renombrar a «{new}»?",
        "This installation is named “{old}”. Rename it to “{new}”?",
    ),
    (
        "cli.rename_to",
        "Renomear para “{name}”",
        "Renombrar a «{name}»",
        "Rename to “{name}”",
    ),
    (
        "cli.retry",
        "Tentar novamente",
        "Intentar de nuevo",
        "Try again",
    ),
    (
        "cli.rotated",
        "Novas credenciais emitidas, verificadas e gravadas para o ambiente {environment} (client id {client}). As anteriores foram revogadas.",
        "Nuevas credenciales emitidas, verificadas y guardadas para el ambiente {environment} (client id {client}). Las anteriores fueron revocadas.",
        "New credentials issued, verified and stored for the environment {environment} (client id {client}). The previous ones were revoked.",
    ),
    (
        "cli.row_overwrite",
        "ocupado: exige confirmação",
        "ocupado: exige confirmación",
        "taken: needs confirmation",
    ),
    (
        "cli.row_regenerate",
        "vinculado a esta instalação",
        "vinculado a esta instalación",
        "bound to this installation",
    ),
    (
        "cli.row_selectable",
        "disponível",
        "disponible",
        "available",
    ),
    (
        "cli.row_unavailable",
        "indisponível",
        "no disponible",
        "unavailable",
    ),
    (
        "cli.state_corrupt_untouched",
        "O arquivo de estado {path} não pôde ser lido (corrompido). Ele não foi alterado; a próxima configuração o guardará à parte.",
        "El archivo de estado {path} no se pudo leer (dañado). No se modificó; la próxima configuración lo guardará aparte.",
        "The state file {path} could not be read (corrupt). It was left untouched; the next configuration sets it aside.",
    ),
    (
        "cli.state_foreign_owner",
        "O arquivo de estado pertence a outro usuário do sistema.",
        "El archivo de estado pertenece a otro usuario del sistema.",
        "The state file belongs to another user of the system.",
    ),
    (
        "cli.state_insecure",
        "O arquivo de estado pode ser lido por outros usuários; ele deve ter permissão 0600.",
        "Otros usuarios pueden leer el archivo de estado; debe tener permiso 0600.",
        "Other users can read the state file; it must have mode 0600.",
    ),
    (
        "cli.state_newer_untouched",
        "O arquivo de estado {path} foi gravado por uma versão mais nova (formato {version}). Ele não foi alterado.",
        "El archivo de estado {path} fue escrito por una versión más nueva (formato {version}). No se modificó.",
        "The state file {path} was written by a newer version (format {version}). It was left untouched.",
    ),
    (
        "cli.state_set_aside",
        "O arquivo de estado não pôde ser lido e foi guardado à parte; configure de novo.",
        "El archivo de estado no se pudo leer y se guardó aparte; configure de nuevo.",
        "The state file could not be read and was set aside; configure again.",
    ),
    (
        "cli.unbind_confirm_required",
        "Para desvincular sem terminal, repita o nome do ambiente: --confirm \"{environment}\".",
        "Para desvincular sin terminal, repita el nombre del ambiente: --confirm \"{environment}\".",
        "To unbind without a terminal, repeat the environment's name: --confirm \"{environment}\".",
    ),
    (
        "cli.unbind_warning",
        "Desvincular libera o ambiente {environment} na plataforma e revoga as credenciais desta instalação.",
        "Desvincular libera el ambiente {environment} en la plataforma y revoca las credenciales de esta instalación.",
        "Unbinding releases the environment {environment} on the platform and revokes this installation's credentials.",
    ),
    (
        "cli.unbound",
        "Vínculo com o ambiente {environment} removido; o estado local foi esquecido.",
        "Vínculo con el ambiente {environment} eliminado; se olvidó el estado local.",
        "Binding to the environment {environment} removed; the local state was forgotten.",
    ),
    (
        "cli.valid_names",
        "Ambientes listados:",
        "Ambientes listados:",
        "Listed environments:",
    ),
    (
        "help.about",
        "Vincula esta instalação do ERP a um ambiente da Plataforma TOTVS e grava suas credenciais.",
        "Vincula esta instalación del ERP a un ambiente de la Plataforma TOTVS y guarda sus credenciales.",
        "Binds this ERP installation to an environment of the TOTVS Platform and stores its credentials.",
    ),
    (
        "help.arg.help",
        "Mostra esta ajuda",
        "Muestra esta ayuda",
        "Shows this help",
    ),
    (
        "help.arg.version",
        "Mostra a versão",
        "Muestra la versión",
        "Shows the version",
    ),
    (
        "help.arg.line",
        "Linha do ERP desta instalação",
        "Línea del ERP de esta instalación",
        "ERP line of this installation",
    ),
    (
        "help.arg.kind",
        "Tipo desta instalação (e dos ambientes a que pode se vincular)",
        "Tipo de esta instalación (y de los ambientes a los que puede vincularse)",
        "Kind of this installation (and of the environments it may bind to)",
    ),
    (
        "help.arg.installation_id",
        "Id da instalação (padrão: derivado da identidade de demonstração)",
        "Id de la instalación (predeterminado: derivado de la identidad de demostración)",
        "Installation id (default: derived from the demo identity)",
    ),
    (
        "help.arg.installation_name",
        "Nome da instalação (preenche a tela do nome; exigido por --unattended se ainda não vinculada)",
        "Nombre de la instalación (rellena la pantalla del nombre; exigido por --unattended si aún no está vinculada)",
        "Installation name (pre-fills the name screen; needed by --unattended unless already bound)",
    ),
    (
        "help.arg.locale",
        "Idioma: pt-BR (padrão), es ou en; senão SMARTLINK_LOCALE",
        "Idioma: pt-BR (predeterminado), es o en; si no, SMARTLINK_LOCALE",
        "Language: pt-BR (default), es or en; else SMARTLINK_LOCALE",
    ),
    (
        "help.arg.platform_url",
        "URL de uma plataforma real em vez da sandbox embutida",
        "URL de una plataforma real en lugar del sandbox integrado",
        "URL of a real platform instead of the embedded sandbox",
    ),
    (
        "help.arg.ca_file",
        "Certificados de AC extras (PEM) confiáveis para --platform-url, além dos do sistema",
        "Certificados de CA adicionales (PEM) de confianza para --platform-url, además de los del sistema",
        "Extra trusted CA certificates (PEM) for --platform-url, on top of the system's",
    ),
    (
        "help.arg.proxy",
        "Proxy para todas as requisições à plataforma (padrão: variáveis HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)",
        "Proxy para todas las solicitudes a la plataforma (por defecto: variables HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)",
        "Proxy for every request to the platform (default: the HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY variables)",
    ),
    (
        "help.arg.token",
        "Token de acesso para --platform-url (ou a variável SMARTLINK_TOKEN)",
        "Token de acceso para --platform-url (o la variable SMARTLINK_TOKEN)",
        "Access token for --platform-url (or the SMARTLINK_TOKEN variable)",
    ),
    (
        "help.arg.state",
        "Arquivo de estado (padrão com a sandbox: um diretório temporário)",
        "Archivo de estado (predeterminado con el sandbox: un directorio temporal)",
        "State file (default with the sandbox: a temporary directory)",
    ),
    (
        "help.arg.unattended",
        "Configura sem perguntas (--environment ou --create; sem eles, só repara um vínculo existente)",
        "Configura sin preguntas (--environment o --create; sin ellos, solo repara un vínculo existente)",
        "Configure without prompts (--environment or --create; without them, only repair an existing binding)",
    ),
    (
        "help.arg.environment",
        "Sem perguntas: vincula ao ambiente com este nome",
        "Sin preguntas: vincula al ambiente con este nombre",
        "Unattended: bind to the environment with this name",
    ),
    (
        "help.arg.create",
        "Sem perguntas: cria um ambiente com este nome e vincula",
        "Sin preguntas: crea un ambiente con este nombre y vincula",
        "Unattended: create an environment with this name, then bind to it",
    ),
    (
        "help.arg.confirm",
        "Com --environment: o nome do ambiente repetido, para substituir o vínculo de outra instalação",
        "Con --environment: el nombre del ambiente repetido, para reemplazar el vínculo de otra instalación",
        "With --environment: the environment's name repeated, to overwrite another installation's binding",
    ),
    (
        "help.arg.unbind_confirm",
        "O nome do ambiente vinculado, repetido (exigido sem terminal)",
        "El nombre del ambiente vinculado, repetido (exigido sin terminal)",
        "The bound environment's name, repeated (needed without a terminal)",
    ),
    (
        "help.arg.verbose",
        "Acrescenta o detalhe técnico (em inglês) às mensagens de erro",
        "Añade el detalle técnico (en inglés) a los mensajes de error",
        "Adds the technical detail (in English) to error messages",
    ),
    (
        "help.cmd.status",
        "O que está configurado, para qual ambiente, desde quando (só local; nunca grava)",
        "Qué está configurado, para qué ambiente, desde cuándo (solo local; nunca escribe)",
        "What is configured, for which environment, since when (local only; never writes)",
    ),
    (
        "help.cmd.check",
        "Diagnóstico: plataforma alcançável, TLS, proxy, relógio, token",
        "Diagnóstico: plataforma alcanzable, TLS, proxy, reloj, token",
        "Diagnostics: platform reachable, TLS, proxy, clock, token",
    ),
    (
        "help.cmd.rotate",
        "Novas credenciais, verificadas antes de substituir as gravadas",
        "Nuevas credenciales, verificadas antes de reemplazar las guardadas",
        "New credentials, verified before they replace the stored ones",
    ),
    (
        "help.cmd.unbind",
        "Libera o ambiente na plataforma e esquece o estado local",
        "Libera el ambiente en la plataforma y olvida el estado local",
        "Releases the environment on the platform and forgets the local state",
    ),
    (
        "help.cmd.forget",
        "Esquece só o estado local (a plataforma mantém o vínculo)",
        "Olvida solo el estado local (la plataforma mantiene el vínculo)",
        "Forgets the local state only (the platform keeps the binding)",
    ),
    ("help.command_value", "COMANDO", "COMANDO", "COMMAND"),
    ("help.commands", "Comandos", "Comandos", "Commands"),
    (
        "help.default",
        "padrão {value}",
        "predeterminado {value}",
        "default {value}",
    ),
    ("help.options", "Opções", "Opciones", "Options"),
    ("help.options_value", "OPÇÕES", "OPCIONES", "OPTIONS"),
    ("help.usage", "Uso:", "Uso:", "Usage:"),
    (
        "help.usage_line",
        "smartlink-configurator [OPÇÕES] [COMANDO]",
        "smartlink-configurator [OPCIONES] [COMANDO]",
        "smartlink-configurator [OPTIONS] [COMMAND]",
    ),
    (
        "help.try",
        "Veja smartlink-configurator --help.",
        "Vea smartlink-configurator --help.",
        "See smartlink-configurator --help.",
    ),
    (
        "help.err_confirm_needs_environment",
        "--confirm vale apenas com --environment.",
        "--confirm solo vale con --environment.",
        "--confirm is valid only with --environment.",
    ),
    (
        "help.err_conflict",
        "{arg} não pode ser usado com {other}.",
        "{arg} no puede usarse con {other}.",
        "{arg} cannot be used with {other}.",
    ),
    (
        "help.err_empty",
        "{arg} precisa de um valor não vazio.",
        "{arg} necesita un valor no vacío.",
        "{arg} needs a non-empty value.",
    ),
    (
        "help.err_invalid",
        "Valor inválido para {arg}: “{value}”.",
        "Valor no válido para {arg}: «{value}».",
        "Invalid value for {arg}: “{value}”.",
    ),
    (
        "help.err_valid_values",
        "Valores aceitos: {values}.",
        "Valores aceptados: {values}.",
        "Accepted values: {values}.",
    ),
    (
        "help.err_missing",
        "Falta o argumento obrigatório: {arg}.",
        "Falta el argumento obligatorio: {arg}.",
        "Missing required argument: {arg}.",
    ),
    (
        "help.err_unknown",
        "Argumento desconhecido: {arg}.",
        "Argumento desconocido: {arg}.",
        "Unknown argument: {arg}.",
    ),
    (
        "help.err_unknown_command",
        "Comando desconhecido: {arg}.",
        "Comando desconocido: {arg}.",
        "Unknown command: {arg}.",
    ),
    (
        "help.err_usage",
        "Uso incorreto.",
        "Uso incorrecto.",
        "Incorrect usage.",
    ),
    (
        "help.exit_codes",
        "Códigos de saída:",
        "Códigos de salida:",
        "Exit codes:",
    ),
    (
        "help.exit.0",
        "configurado (status: configurado; check: tudo certo; rotate, unbind, forget: feito)",
        "configurado (status: configurado; check: todo bien; rotate, unbind, forget: hecho)",
        "configured (status: configured; check: all good; rotate, unbind, forget: done)",
    ),
    (
        "help.exit.1",
        "erro interno inesperado",
        "error interno inesperado",
        "unexpected internal error",
    ),
    (
        "help.exit.2",
        "uso incorreto (argumento desconhecido, valor ausente, vazio ou inválido; --unattended sem alvo numa instalação não vinculada)",
        "uso incorrecto (argumento desconocido, valor ausente, vacío o no válido; --unattended sin destino en una instalación no vinculada)",
        "bad usage (unknown flag; missing, empty or invalid value; --unattended without a target on an unbound installation)",
    ),
    (
        "help.exit.3",
        "é preciso uma decisão do administrador, ou ela foi recusada (confirmação, ambiente, nome em uso, cancelado; status: não configurado)",
        "se necesita una decisión del administrador, o fue rechazada (confirmación, ambiente, nombre en uso, cancelado; status: no configurado)",
        "an administrator's decision is needed or was refused (confirmation, environment, name taken, cancelled; status: not configured)",
    ),
    (
        "help.exit.4",
        "erro da plataforma: inacessível, TLS, proxy, token recusado, erro de contrato",
        "error de la plataforma: inaccesible, TLS, proxy, token rechazado, error de contrato",
        "platform error: unreachable, TLS, proxy, token refused, contract error",
    ),
    (
        "help.exit.5",
        "dados inconsistentes (a tela de erro): contate o suporte com o código mostrado",
        "datos inconsistentes (la pantalla de error): contacte al soporte con el código mostrado",
        "inconsistent data (the error screen): contact support with the code shown",
    ),
    (
        "help.exit.6",
        "erro do estado local (arquivo ilegível, sem gravação ou bloqueado)",
        "error del estado local (archivo ilegible, sin escritura o bloqueado)",
        "local state error (state file unreadable, unwritable or locked)",
    ),
    (
        "help.exit.130",
        "interrompido com Ctrl-C (nada fica gravado pela metade)",
        "interrumpido con Ctrl-C (nada queda grabado a medias)",
        "interrupted by Ctrl-C (nothing is left half-written)",
    ),
    (
        "help.sandbox",
        "Sem argumentos, a plataforma de demonstração (sandbox) sobe no próprio processo em 127.0.0.1, com dados de demonstração, e o estado fica num diretório temporário.",
        "Sin argumentos, la plataforma de demostración (sandbox) arranca en el propio proceso en 127.0.0.1, con datos de demostración, y el estado queda en un directorio temporal.",
        "With no arguments the demo platform (sandbox) starts in-process on 127.0.0.1 with demo data, and the state lives in a temporary directory.",
    ),
    // Kinds and lines
    ("kind.production", "Produção", "Producción", "Production"),
    (
        "kind.homologation",
        "Homologação",
        "Homologación",
        "Homologation",
    ),
    (
        "kind.development",
        "Desenvolvimento",
        "Desarrollo",
        "Development",
    ),
    ("kind.custom", "Customizado", "Personalizado", "Custom"),
    ("progress.working", "Aguarde…", "Espere…", "Please wait…"),
    (
        "cancelled",
        "Configuração interrompida; nada foi gravado pela metade.",
        "Configuración interrumpida; nada quedó grabado a medias.",
        "Configuration interrupted; nothing was left half-written.",
    ),
];

/// The text for `key` in `locale`; falls back to pt-BR, then to the key
/// itself (so a missing key is visible, never a crash).
pub fn text(locale: Locale, key: &str) -> &str {
    match CATALOG.iter().find(|(k, ..)| *k == key) {
        Some((_, pt, es, en)) => {
            let t = match locale {
                Locale::PtBr => pt,
                Locale::Es => es,
                Locale::En => en,
            };
            if t.is_empty() { pt } else { t }
        }
        None => key,
    }
}

/// The text for `key` with `{name}` placeholders filled from `args`.
pub fn render(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut out = text(locale, key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Every key of the catalogue.
pub fn keys() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|(k, ..)| *k)
}

/// The label of a kind.
pub fn kind_label(locale: Locale, kind: Kind) -> &'static str {
    let key = match kind {
        Kind::Production => "kind.production",
        Kind::Homologation => "kind.homologation",
        Kind::Development => "kind.development",
        Kind::Custom => "kind.custom",
    };
    text(locale, key)
}

/// The display name of an ERP line (the same in every language).
pub fn line_label(line: ErpLine) -> &'static str {
    line.display_name()
}

/// The message for a stable error code (a contract code or one of the
/// library's: `transport`, `timeout`, `protocol`, `state`, `busy`, ...).
pub fn code_text(locale: Locale, code: &str) -> String {
    let key = format!("code.{code}");
    if CATALOG.iter().any(|(k, ..)| *k == key) {
        text(locale, &key).to_owned()
    } else {
        text(locale, "code.unknown").to_owned()
    }
}

/// The message for a refused value (the field is named by the screen).
pub fn validation_text(locale: Locale, e: &ValidationError) -> String {
    match e {
        ValidationError::Empty { .. } => text(locale, "validation.empty").to_owned(),
        ValidationError::TooLong { max, .. } => {
            render(locale, "validation.too_long", &[("max", &max.to_string())])
        }
        ValidationError::ControlCharacter { .. } => text(locale, "validation.control").to_owned(),
        _ => text(locale, "validation.invalid").to_owned(),
    }
}

/// The progress line of a task step (`None`: not started yet).
pub fn step_text(locale: Locale, step: Option<TaskStep>) -> &'static str {
    let key = match step {
        None => "progress.working",
        Some(TaskStep::WaitingForLock) => "step.waiting_for_lock",
        Some(TaskStep::Creating) => "step.creating",
        Some(TaskStep::Binding) => "step.binding",
        Some(TaskStep::IssuingCredentials) => "step.issuing_credentials",
        Some(TaskStep::Verifying) => "step.verifying",
        Some(TaskStep::Storing) => "step.storing",
    };
    text(locale, key)
}

/// Why the data is inconsistent, for the error screen.
pub fn inconsistency_text(locale: Locale, inconsistency: &Inconsistency) -> &'static str {
    let key = match inconsistency {
        Inconsistency::InvalidInstallationData { .. } => "inconsistency.invalid_installation_data",
        Inconsistency::BoundToSeveralEnvironments { .. } => {
            "inconsistency.bound_to_several_environments"
        }
        Inconsistency::BoundUnderOtherLine { .. } => "inconsistency.bound_under_other_line",
        Inconsistency::BoundEnvironmentKindDiffers { .. } => {
            "inconsistency.bound_environment_kind_differs"
        }
        Inconsistency::DuplicateLineInEnvironment { .. } => {
            "inconsistency.duplicate_line_in_environment"
        }
        Inconsistency::DuplicateEnvironment { .. } => "inconsistency.duplicate_environment",
        Inconsistency::LocalStateContradicts { .. } => "inconsistency.local_state_contradicts",
    };
    text(locale, key)
}

/// What may be done with a listed environment.
pub fn availability_text(locale: Locale, availability: &Availability) -> String {
    match availability {
        Availability::Selectable => text(locale, "availability.selectable").to_owned(),
        Availability::Regenerate => text(locale, "availability.regenerate").to_owned(),
        Availability::NeedsTypedConfirmation { replaces } => render(
            locale,
            "availability.needs_confirmation",
            &[("line", line_label(replaces.line))],
        ),
        Availability::Unavailable {
            reason: UnavailableReason::KindMismatch { environment_kind },
        } => render(
            locale,
            "availability.kind_mismatch",
            &[("kind", kind_label(locale, *environment_kind))],
        ),
        Availability::Unavailable {
            reason: UnavailableReason::InstallationBoundElsewhere,
        } => text(locale, "availability.bound_elsewhere").to_owned(),
    }
}

/// One binding of a listed environment ("Protheus: Filial SP").
pub fn binding_text(locale: Locale, binding: &Binding) -> String {
    render(
        locale,
        "choose.binding",
        &[
            ("line", line_label(binding.line)),
            ("name", binding.installation_name.as_str()),
        ],
    )
}

/// The sentence that introduces the environment list for a scenario.
pub fn scenario_text(locale: Locale, scenario: &Scenario, choices: &[EnvironmentChoice]) -> String {
    match scenario {
        Scenario::FirstBinding => text(locale, "choose.scenario.first_binding").to_owned(),
        Scenario::AlreadyBound { environment_id } => {
            let name = choices
                .iter()
                .find(|c| &c.environment.id == environment_id)
                .map(|c| c.environment.name.to_string())
                .unwrap_or_else(|| environment_id.to_string());
            render(locale, "choose.scenario.already_bound", &[("name", &name)])
        }
        Scenario::Replacement => {
            let line = choices
                .iter()
                .find_map(|c| match &c.availability {
                    Availability::NeedsTypedConfirmation { replaces } => Some(replaces.line),
                    _ => None,
                })
                .map(line_label)
                .unwrap_or("ERP");
            render(locale, "choose.scenario.replacement", &[("line", line)])
        }
        Scenario::Inconsistent { reason } => inconsistency_text(locale, reason).to_owned(),
    }
}

/// What went wrong, for the error screen.
pub fn error_reason_text(locale: Locale, reason: &ErrorReason) -> String {
    match reason {
        ErrorReason::Inconsistent { inconsistency } => format!(
            "{} {}",
            text(locale, "error.inconsistent"),
            inconsistency_text(locale, inconsistency)
        ),
        ErrorReason::Platform { code, .. } | ErrorReason::TaskFailed { code, .. } => {
            code_text(locale, code.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_key_exists_in_all_three_languages_with_the_same_placeholders() {
        let mut seen = HashSet::new();
        for (key, pt, es, en) in CATALOG {
            assert!(seen.insert(*key), "duplicate key {key}");
            for (lang, t) in [("pt-BR", pt), ("es", es), ("en", en)] {
                assert!(!t.trim().is_empty(), "{key} is empty in {lang}");
            }
            assert_eq!(
                placeholders(pt),
                placeholders(es),
                "{key}: es placeholders differ"
            );
            assert_eq!(
                placeholders(pt),
                placeholders(en),
                "{key}: en placeholders differ"
            );
        }
    }

    #[test]
    fn every_error_code_and_inconsistency_has_a_message() {
        use crate::platform::ErrorCode;
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::NameTaken,
            ErrorCode::BindingExists,
            ErrorCode::InstallationBoundElsewhere,
            ErrorCode::NotBound,
            ErrorCode::PreconditionFailed,
            ErrorCode::InvalidName,
            ErrorCode::KindMismatch,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::PreconditionRequired,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
            ErrorCode::Unavailable,
            ErrorCode::InvalidClient,
            ErrorCode::InvalidToken,
            ErrorCode::Unknown,
        ] {
            assert!(
                keys().any(|k| k == format!("code.{}", code.as_str())),
                "{code}"
            );
        }
        for code in [
            "transport",
            "timeout",
            "protocol",
            "response_too_large",
            "config",
            "state",
            "busy",
            "cancelled",
            // The C ABI's error kinds and refusal codes.
            "not_allowed",
            "not_selectable",
            "confirmation_mismatch",
            "confirmation_required",
            "environment_not_found",
            "create_not_offered",
            "name_required",
            "inconsistent",
            "refused",
            "not_configured",
            "credentials_revoked",
            "invalid_handle",
            "unknown_operation",
            "invalid_config",
            "invalid_installation",
            "invalid_json",
            "invalid_utf8",
            "buffer_too_small",
            "panic",
            "runtime",
            "task_failed",
            "null_argument",
        ] {
            assert!(keys().any(|k| k == format!("code.{code}")), "{code}");
        }
        for reason in [
            "invalid_installation_data",
            "bound_to_several_environments",
            "bound_under_other_line",
            "bound_environment_kind_differs",
            "duplicate_line_in_environment",
            "duplicate_environment",
            "local_state_contradicts",
        ] {
            assert!(
                keys().any(|k| k == format!("inconsistency.{reason}")),
                "{reason}"
            );
        }
        for step in [
            "waiting_for_lock",
            "creating",
            "binding",
            "issuing_credentials",
            "verifying",
            "storing",
        ] {
            assert!(keys().any(|k| k == format!("step.{step}")), "{step}");
        }
    }

    #[test]
    fn locale_falls_back_to_portuguese() {
        assert_eq!(Locale::parse("fr-FR"), Locale::PtBr);
        assert_eq!(Locale::parse(""), Locale::PtBr);
        assert_eq!(Locale::parse("EN_us"), Locale::En);
        assert_eq!(text(Locale::En, "no.such.key"), "no.such.key");
        assert_eq!(kind_label(Locale::Es, Kind::Custom), "Personalizado");
        assert_eq!(code_text(Locale::En, "weird"), "Unexpected error.");
    }
}
