//! The browser configurator's own texts (`smartlink-configurator web`):
//! column headings, the support code's copy button, the overlay, and what
//! the page and the server say when the session ends.

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static WEB: &[Entry] = &[
    (
        "web.open",
        "Abra este endereço no navegador (vale uma vez): {url}",
        "Abra esta dirección en el navegador (vale una vez): {url}",
        "Open this address in the browser (it works once): {url}",
    ),
    (
        "web.forbidden",
        "Acesso recusado. Abra o endereço exibido pelo configurador ao iniciar; ele vale uma só vez.",
        "Acceso rechazado. Abra la dirección que el configurador mostró al iniciar; vale una sola vez.",
        "Access refused. Open the address the configurator printed when it started; it works only once.",
    ),
    (
        "web.idle",
        "Encerrado depois de {seconds} s sem uso da página.",
        "Terminado después de {seconds} s sin uso de la página.",
        "Stopped after {seconds} s without use of the page.",
    ),
    ("web.next", "Avançar", "Siguiente", "Next"),
    ("web.col_select", "Selecionar", "Seleccionar", "Select"),
    ("web.col_name", "Nome", "Nombre", "Name"),
    ("web.col_kind", "Tipo", "Tipo", "Kind"),
    ("web.col_bindings", "Vínculos", "Vínculos", "Bindings"),
    ("web.col_status", "Situação", "Situación", "Status"),
    (
        "web.table_caption",
        "Ambientes da Plataforma TOTVS",
        "Ambientes de la Plataforma TOTVS",
        "Environments of the TOTVS Platform",
    ),
    (
        "web.support_label",
        "Código de suporte",
        "Código de soporte",
        "Support code",
    ),
    (
        "web.copy",
        "Copiar código de suporte",
        "Copiar código de soporte",
        "Copy support code",
    ),
    (
        "web.copied",
        "Código de suporte copiado.",
        "Código de soporte copiado.",
        "Support code copied.",
    ),
    ("web.working", "Aguarde", "Espere", "Please wait"),
    (
        "web.lost",
        "A conexão com o configurador foi perdida. Execute-o novamente para continuar.",
        "Se perdió la conexión con el configurador. Ejecútelo de nuevo para continuar.",
        "The connection to the configurator was lost. Run it again to continue.",
    ),
    (
        "web.closed",
        "O configurador foi encerrado. Você pode fechar esta aba.",
        "El configurador terminó. Puede cerrar esta pestaña.",
        "The configurator has stopped. You may close this tab.",
    ),
    (
        "web.select_first",
        "Selecione um ambiente da lista.",
        "Seleccione un ambiente de la lista.",
        "Select an environment from the list.",
    ),
];
