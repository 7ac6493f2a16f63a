//! The state store's texts: where the state lives (a file on a private
//! disk or a shared folder, a PostgreSQL database), what `status` and
//! `check` say about it, and why a database could not be used (`store.`).

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static STORE: &[Entry] = &[
    // Flags and usage errors.
    (
        "help.arg.shared_folder",
        "O arquivo de --state fica numa pasta compartilhada por várias máquinas (um compartilhamento de rede): cada uma relê o estado periodicamente",
        "El archivo de --state está en una carpeta compartida por varias máquinas (un recurso compartido de red): cada una relee el estado periódicamente",
        "The --state file is on a folder shared by several machines (a network share): each re-reads the state periodically",
    ),
    (
        "cli.shared_folder_needs_file",
        "--shared-folder exige --state com o caminho do arquivo de estado.",
        "--shared-folder requiere --state con la ruta del archivo de estado.",
        "--shared-folder needs --state with the state file's path.",
    ),
    (
        "cli.postgres_needs_seal_key",
        "O estado em PostgreSQL exige --seal-key-file: o segredo nunca é guardado em claro no banco. Crie a chave com seal-key --out e copie-a para cada máquina.",
        "El estado en PostgreSQL requiere --seal-key-file: el secreto nunca se guarda en claro en la base. Cree la clave con seal-key --out y cópiela a cada máquina.",
        "A PostgreSQL state needs --seal-key-file: the secret is never stored in clear in the database. Make the key with seal-key --out and copy it to every machine.",
    ),
    (
        "cli.postgres_url_invalid",
        "--state: o URL do PostgreSQL não é válido (ele não é mostrado: pode conter uma senha): {detail}",
        "--state: la URL de PostgreSQL no es válida (no se muestra: puede contener una contraseña): {detail}",
        "--state: the PostgreSQL URL is not valid (it is not shown: it may hold a password): {detail}",
    ),
    (
        "cli.reseal_needs_file",
        "reseal exige --state com o caminho do arquivo de estado.",
        "reseal requiere --state con la ruta del archivo de estado.",
        "reseal needs --state with the state file's path.",
    ),
    // Where the state is (banner, Done screen).
    (
        "cli.state_postgres",
        "Estado em PostgreSQL: {location} (segredo selado)",
        "Estado en PostgreSQL: {location} (secreto sellado)",
        "State in PostgreSQL: {location} (secret sealed)",
    ),
    (
        "cli.state_shared",
        "Estado compartilhado por várias máquinas: cada uma vê uma mudança feita em outra em até {every}.",
        "Estado compartido por varias máquinas: cada una ve un cambio hecho en otra en hasta {every}.",
        "State shared by several machines: each sees a change made on another within {every}.",
    ),
    (
        "cli.done_stored_postgres",
        "Credenciais gravadas no PostgreSQL {location}, com o segredo selado pela chave de selagem.",
        "Credenciales guardadas en PostgreSQL {location}, con el secreto sellado por la clave de sellado.",
        "Credentials stored in PostgreSQL {location}, the secret sealed with the seal key.",
    ),
    // A store out of use (state_unreachable).
    (
        "cli.state_unreachable",
        "O armazenamento do estado em {location} está inacessível: {cause}.",
        "El almacenamiento del estado en {location} es inaccesible: {cause}.",
        "The state store at {location} is unreachable: {cause}.",
    ),
    (
        "cli.state_unusable",
        "O armazenamento do estado em {location} não pode ser usado: {cause}.",
        "El almacenamiento del estado en {location} no se puede usar: {cause}.",
        "The state store at {location} cannot be used: {cause}.",
    ),
    (
        "cli.state_schema_foreign",
        "A tabela smartlink_state em {location} não é do SmartLink (tem outras colunas: de outro programa, ou alterada à mão); ela foi deixada como está. Use outro banco ou schema, ou renomeie essa tabela. Nada foi alterado.",
        "La tabla smartlink_state en {location} no es de SmartLink (tiene otras columnas: de otro programa, o alterada a mano); se dejó como está. Use otra base o esquema, o renombre esa tabla. No se cambió nada.",
        "The table smartlink_state at {location} is not SmartLink's (it has other columns: another program's, or altered by hand); it was left as it is. Use another database or schema, or rename that table. Nothing was changed.",
    ),
    (
        "cli.state_schema_newer",
        "A tabela de estado em {location} foi criada por uma versão mais nova do SmartLink; atualize este configurador. Nada foi alterado.",
        "La tabla de estado en {location} fue creada por una versión más nueva de SmartLink; actualice este configurador. No se cambió nada.",
        "The state table at {location} was made by a newer SmartLink; update this configurator. Nothing was changed.",
    ),
    (
        "store.cause_tls_required",
        "um servidor remoto exige TLS: acrescente sslmode=require ao URL",
        "un servidor remoto exige TLS: agregue sslmode=require a la URL",
        "a remote server needs TLS: add sslmode=require to the URL",
    ),
    (
        "store.cause_auth",
        "o servidor recusou o usuário ou a senha",
        "el servidor rechazó el usuario o la contraseña",
        "the server refused the user or the password",
    ),
    (
        "store.cause_database",
        "o banco de dados informado não existe",
        "la base de datos indicada no existe",
        "the database named does not exist",
    ),
    (
        "store.cause_internal",
        "o acesso ao banco parou neste processo",
        "el acceso a la base se detuvo en este proceso",
        "the database access stopped in this process",
    ),
    (
        "store.cause_lost",
        "a conexão com o banco foi perdida",
        "se perdió la conexión con la base",
        "the connection to the database was lost",
    ),
    (
        "store.cause_other",
        "o servidor respondeu com um erro (detalhes com --verbose)",
        "el servidor respondió con un error (detalles con --verbose)",
        "the server answered with an error (details with --verbose)",
    ),
    // status
    (
        "status.store",
        "Armazenamento do estado: {kind}, {location}",
        "Almacenamiento del estado: {kind}, {location}",
        "State store: {kind}, {location}",
    ),
    (
        "status.kind_file",
        "arquivo local",
        "archivo local",
        "local file",
    ),
    (
        "status.kind_shared_file",
        "arquivo em pasta compartilhada",
        "archivo en carpeta compartida",
        "file on a shared folder",
    ),
    (
        "status.kind_postgres",
        "PostgreSQL",
        "PostgreSQL",
        "PostgreSQL",
    ),
    (
        "status.store_version",
        "Versão do estado: {version}",
        "Versión del estado: {version}",
        "State version: {version}",
    ),
    (
        "status.lease_held_until",
        "Trava de configuração: com {holder} (época {epoch}), expira em {in} se não for renovada.",
        "Bloqueo de configuración: con {holder} (época {epoch}), vence en {in} si no se renueva.",
        "Configuration lease: held by {holder} (epoch {epoch}), expires in {in} unless renewed.",
    ),
    (
        "status.lease_held",
        "Trava de configuração: com {holder} (época {epoch}), enquanto o processo dele estiver ativo.",
        "Bloqueo de configuración: con {holder} (época {epoch}), mientras su proceso esté activo.",
        "Configuration lease: held by {holder} (epoch {epoch}), while its process runs.",
    ),
    (
        "status.lease_free",
        "Trava de configuração: livre (época {epoch}).",
        "Bloqueo de configuración: libre (época {epoch}).",
        "Configuration lease: free (epoch {epoch}).",
    ),
    (
        "status.refresh",
        "Compartilhado por várias máquinas: o acesso de cada uma vê uma mudança feita em outra em até {every}.",
        "Compartido por varias máquinas: el acceso de cada una ve un cambio hecho en otra en hasta {every}.",
        "Shared by several machines: each one's login gate sees a change made on another within {every}.",
    ),
    (
        "status.unreachable_gate",
        "Nada foi alterado. Cada máquina mantém o último veredito do acesso enquanto as credenciais que viu valerem.",
        "No se cambió nada. Cada máquina mantiene el último veredicto del acceso mientras valgan las credenciales que vio.",
        "Nothing was changed. Each machine keeps its login gate's last verdict while the credentials it saw are valid.",
    ),
    // check
    (
        "check.store_ok",
        "Armazenamento do estado ({kind}, {location}): {detail}.",
        "Almacenamiento del estado ({kind}, {location}): {detail}.",
        "State store ({kind}, {location}): {detail}.",
    ),
    (
        "check.store_failed",
        "Armazenamento do estado ({kind}, {location}): falhou [{code}]: {cause}",
        "Almacenamiento del estado ({kind}, {location}): falló [{code}]: {cause}",
        "State store ({kind}, {location}): failed [{code}]: {cause}",
    ),
    (
        "check.store_memory",
        "Armazenamento do estado: memória (nada a verificar).",
        "Almacenamiento del estado: memoria (nada que verificar).",
        "State store: memory (nothing to check).",
    ),
    (
        "check.store_pg_detail",
        "acessível, tabela no esquema {schema}, estado na versão {version}",
        "accesible, tabla en el esquema {schema}, estado en la versión {version}",
        "reachable, table at schema {schema}, state at version {version}",
    ),
    (
        "check.store_file_detail",
        "legível, só o dono tem acesso",
        "legible, solo el dueño tiene acceso",
        "readable, owner-only",
    ),
    (
        "check.store_file_missing",
        "o arquivo ainda não existe",
        "el archivo aún no existe",
        "no file yet",
    ),
    (
        "check.store_key_opens",
        "a chave de selagem abre o segredo",
        "la clave de sellado abre el secreto",
        "the seal key opens the secret",
    ),
    (
        "check.store_secret_clear",
        "segredo em claro (sem --seal-key-file)",
        "secreto en claro (sin --seal-key-file)",
        "secret in clear (no --seal-key-file)",
    ),
    (
        "check.store_seal_recommended",
        "recomenda-se selar o segredo numa pasta compartilhada (seal-key, --seal-key-file)",
        "se recomienda sellar el secreto en una carpeta compartida (seal-key, --seal-key-file)",
        "sealing the secret is recommended on a shared folder (seal-key, --seal-key-file)",
    ),
    (
        "check.store_nothing",
        "nada guardado ainda",
        "nada guardado aún",
        "nothing stored yet",
    ),
    (
        "check.store_no_credentials",
        "nenhuma credencial guardada",
        "ninguna credencial guardada",
        "no credentials stored",
    ),
];
