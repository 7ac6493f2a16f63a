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
        "status.interrupted",
        "Uma configuração foi interrompida (código {id}).",
        "Una configuración fue interrumpida (código {id}).",
        "A configuration was interrupted (code {id}).",
    ),
    (
        "check.reachable",
        "Plataforma acessível em {url} ({elapsed}).",
        "Plataforma accesible en {url} ({elapsed}).",
        "Platform reachable at {url} ({elapsed}).",
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
        "Token de acesso à plataforma (--token): aceito.",
        "Token de acceso a la plataforma (--token): aceptado.",
        "Platform bearer token (--token): accepted.",
    ),
    (
        "check.token_refused",
        "Token de acesso à plataforma (--token): recusado pela plataforma.",
        "Token de acceso a la plataforma (--token): rechazado por la plataforma.",
        "Platform bearer token (--token): refused by the platform.",
    ),
    (
        "check.credentials_ok",
        "Credenciais da instalação (cliente {client}): aceitas pelo endpoint de token com {method} ({elapsed}).",
        "Credenciales de la instalación (cliente {client}): aceptadas por el endpoint de token con {method} ({elapsed}).",
        "Installation credentials (client {client}): accepted by the token endpoint with {method} ({elapsed}).",
    ),
    (
        "check.credentials_cleared",
        "A recusa anterior destas credenciais foi retirada: o ERP volta a obter tokens.",
        "El rechazo anterior de estas credenciales fue retirado: el ERP vuelve a obtener tokens.",
        "The earlier refusal of these credentials is cleared: the ERP gets tokens again.",
    ),
    (
        "check.credentials_none",
        "Credenciais da instalação: nenhuma guardada (instalação não configurada); não verificadas.",
        "Credenciales de la instalación: ninguna guardada (instalación no configurada); no verificadas.",
        "Installation credentials: none stored (this installation is not configured); not checked.",
    ),
    (
        "check.credentials_wrong_method",
        "Credenciais da instalação (cliente {client}): recusadas com {method} e aceitas com {other}: método de autenticação do cliente errado. Use --client-auth {flag} (na ABI C, \"client_auth\": \"{other}\").",
        "Credenciales de la instalación (cliente {client}): rechazadas con {method} y aceptadas con {other}: método de autenticación del cliente equivocado. Use --client-auth {flag} (en la ABI C, \"client_auth\": \"{other}\").",
        "Installation credentials (client {client}): refused with {method}, accepted with {other}: wrong client authentication method. Use --client-auth {flag} (C ABI: \"client_auth\": \"{other}\").",
    ),
    (
        "check.credentials_refused",
        "Credenciais da instalação (cliente {client}): recusadas pelo endpoint de token (invalid_client, HTTP {status}) com {method}: revogadas ou expiradas na plataforma, ou a URL de token ({token_url}) está errada. Foram mantidas, marcadas como recusadas; execute o configurador para vincular de novo.",
        "Credenciales de la instalación (cliente {client}): rechazadas por el endpoint de token (invalid_client, HTTP {status}) con {method}: revocadas o expiradas en la plataforma, o la URL de token ({token_url}) es incorrecta. Se conservan, marcadas como rechazadas; ejecute el configurador para vincular de nuevo.",
        "Installation credentials (client {client}): refused by the token endpoint (invalid_client, HTTP {status}) with {method}: revoked or expired at the platform, or the token URL ({token_url}) is wrong. They are kept, marked refused; run the configurator to bind again.",
    ),
    (
        "check.credentials_down",
        "Credenciais da instalação: não verificadas: o endpoint de token em {token_url} está inacessível ({detail}).",
        "Credenciales de la instalación: no verificadas: el endpoint de token en {token_url} es inaccesible ({detail}).",
        "Installation credentials: not checked: the token endpoint at {token_url} is down or unreachable ({detail}).",
    ),
    (
        "check.credentials_slow",
        "Credenciais da instalação: não verificadas: o endpoint de token em {token_url} está lento demais (desistência após {elapsed} sem resposta).",
        "Credenciales de la instalación: no verificadas: el endpoint de token en {token_url} es demasiado lento (abandono tras {elapsed} sin respuesta).",
        "Installation credentials: not checked: the token endpoint at {token_url} is too slow (gave up after {elapsed} without an answer).",
    ),
    (
        "check.credentials_failed",
        "Credenciais da instalação: não verificadas: o endpoint de token em {token_url} falhou: {detail}",
        "Credenciales de la instalación: no verificadas: el endpoint de token en {token_url} falló: {detail}",
        "Installation credentials: not checked: the token endpoint at {token_url} failed: {detail}",
    ),
    (
        "check.credentials_store_failed",
        "Credenciais da instalação: não verificadas (o armazenamento do estado falhou, veja acima).",
        "Credenciales de la instalación: no verificadas (el almacenamiento del estado falló, vea arriba).",
        "Installation credentials: not checked (the state store failed, see above).",
    ),
    (
        "check.credentials_state",
        "Credenciais da instalação: o estado local não pôde ser lido: {detail}",
        "Credenciales de la instalación: el estado local no pudo leerse: {detail}",
        "Installation credentials: the local state could not be read: {detail}",
    ),
];
