//! Status and check: what the diagnostics report.

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static DIAGNOSTICS: &[Entry] = &[
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
];
