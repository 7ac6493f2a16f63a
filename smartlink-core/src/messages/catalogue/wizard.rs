//! The wizard's screens (welcome, name, choose, alerts, finishing, done,
//! error), the buttons, the environment kinds and the shared progress and
//! cancellation lines.

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static WIZARD: &[Entry] = &[
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
        "error.report",
        "Anexe ao chamado o relatório de suporte (sem segredos): o ERP o gera com a operação support_report da biblioteca SmartLink.",
        "Adjunte a la solicitud el informe de soporte (sin secretos): el ERP lo genera con la operación support_report de la biblioteca SmartLink.",
        "Attach the support report to the ticket (it holds no secrets): the ERP makes it with the SmartLink library's support_report operation.",
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
