//! The sealed secret's texts: `seal-key`, `reseal`, `--seal-key-file` and
//! the refusals of a sealed state file.

use super::Entry;

/// (key, pt-BR, es, en).
pub(super) static SEAL: &[Entry] = &[
    (
        "help.arg.seal_key_file",
        "Arquivo da chave de selagem (32 bytes, só do dono): as credenciais guardadas são seladas com ela; exige --state com um arquivo ou um URL postgres:// (com PostgreSQL é obrigatória)",
        "Archivo de la clave de sellado (32 bytes, solo del dueño): las credenciales guardadas se sellan con ella; exige --state con un archivo o una URL postgres:// (con PostgreSQL es obligatoria)",
        "Seal key file (32 bytes, owner-only): the stored credentials are sealed with it; needs --state with a file or a postgres:// URL (required with PostgreSQL)",
    ),
    (
        "help.cmd.seal-key",
        "Cria um arquivo de chave de selagem (32 bytes aleatórios, só do dono); nunca substitui um arquivo existente",
        "Crea un archivo de clave de sellado (32 bytes aleatorios, solo del dueño); nunca reemplaza un archivo existente",
        "Makes a seal key file (32 random bytes, owner-only); never replaces an existing file",
    ),
    (
        "help.cmd.reseal",
        "Regrava o arquivo de estado (--state) selado com uma nova chave (--to); lido com --seal-key-file, ou em claro sem ela",
        "Reescribe el archivo de estado (--state) sellado con una nueva clave (--to); leído con --seal-key-file, o en claro sin ella",
        "Rewrites the state file (--state) sealed with a new key (--to); read with --seal-key-file, or in clear without it",
    ),
    (
        "help.arg.seal_key_out",
        "Onde gravar a nova chave",
        "Dónde escribir la nueva clave",
        "Where to write the new key",
    ),
    (
        "help.arg.reseal_to",
        "O arquivo da nova chave",
        "El archivo de la nueva clave",
        "The new key's file",
    ),
    (
        "cli.seal_key_needs_state",
        "--seal-key-file exige --state com o caminho do arquivo de estado ou um URL postgres://.",
        "--seal-key-file requiere --state con la ruta del archivo de estado o una URL postgres://.",
        "--seal-key-file needs --state with the state file's path or a postgres:// URL.",
    ),
    (
        "cli.seal_key_made",
        "Chave de selagem gravada em {path} (só o dono pode lê-la). Copie-a para cada máquina que usa este estado por um canal tão privado quanto ela; nunca ao lado do arquivo de estado.",
        "Clave de sellado escrita en {path} (solo el dueño puede leerla). Cópiela a cada máquina que usa este estado por un canal tan privado como ella; nunca junto al archivo de estado.",
        "Seal key written to {path} (only its owner can read it). Copy it to every machine that uses this state through a channel as private as the key; never next to the state file.",
    ),
    (
        "cli.seal_key_exists",
        "{path} já existe; foi mantido como está.",
        "{path} ya existe; se dejó como está.",
        "{path} already exists; it was left as it is.",
    ),
    (
        "cli.seal_key_unusable",
        "O arquivo de chave de selagem {path} não pode ser usado: ausente, aberto a outros usuários, ou sem exatamente 32 bytes.",
        "El archivo de clave de sellado {path} no se puede usar: ausente, abierto a otros usuarios, o sin exactamente 32 bytes.",
        "The seal key file {path} cannot be used: missing, open to other users, or not exactly 32 bytes.",
    ),
    (
        "cli.seal_key_missing_file",
        "O arquivo de chave de selagem {path} não existe. Copie para cá a chave desta instalação (a mesma de todas as máquinas).",
        "El archivo de clave de sellado {path} no existe. Copie aquí la clave de esta instalación (la misma de todas las máquinas).",
        "The seal key file {path} does not exist. Copy this installation's key there (the same on every machine).",
    ),
    (
        "cli.seal_key_insecure",
        "O arquivo de chave de selagem {path} está aberto a outros usuários (modo {mode}): deixe-o legível só pelo dono (chmod 600).",
        "El archivo de clave de sellado {path} está abierto a otros usuarios (modo {mode}): déjelo legible solo por su dueño (chmod 600).",
        "The seal key file {path} is open to other users (mode {mode}): make it readable by its owner only (chmod 600).",
    ),
    (
        "cli.seal_key_foreign_owner",
        "O arquivo de chave de selagem {path} pertence a outro usuário: deve pertencer à conta que executa este programa.",
        "El archivo de clave de sellado {path} pertenece a otro usuario: debe pertenecer a la cuenta que ejecuta este programa.",
        "The seal key file {path} belongs to another user: it must belong to the account that runs this program.",
    ),
    (
        "cli.seal_key_not_a_key",
        "O arquivo {path} não é uma chave de selagem: deve ser um arquivo comum de exatamente 32 bytes (feito por seal-key --out).",
        "El archivo {path} no es una clave de sellado: debe ser un archivo común de exactamente 32 bytes (hecho por seal-key --out).",
        "The file {path} is not a seal key: it must be a regular file of exactly 32 bytes (made by seal-key --out).",
    ),
    (
        "cli.seal_key_unreadable",
        "O arquivo de chave de selagem {path} não pôde ser lido (um link simbólico, que não é seguido, ou sem permissão; detalhes com --verbose).",
        "El archivo de clave de sellado {path} no se pudo leer (un enlace simbólico, que no se sigue, o sin permiso; detalles con --verbose).",
        "The seal key file {path} could not be read (a symbolic link, which is not followed, or no permission; details with --verbose).",
    ),
    (
        "cli.state_sealed_no_key",
        "O segredo do estado guardado está selado: informe --seal-key-file com a chave dele. Nada foi alterado.",
        "El secreto del estado guardado está sellado: indique --seal-key-file con su clave. No se cambió nada.",
        "The stored state's secret is sealed: give --seal-key-file with its key. Nothing was changed.",
    ),
    (
        "cli.state_sealed_wrong_key",
        "A chave de selagem informada não é a que selou o segredo do estado guardado. Nada foi alterado.",
        "La clave de sellado indicada no es la que selló el secreto del estado guardado. No se cambió nada.",
        "The seal key given is not the one the stored state's secret was sealed with. Nothing was changed.",
    ),
    (
        "cli.state_sealed_refused",
        "O segredo selado do estado guardado foi alterado ou pertence a outra instalação; foi recusado. Nada foi alterado.",
        "El secreto sellado del estado guardado fue alterado o pertenece a otra instalación; se rechazó. No se cambió nada.",
        "The stored state's sealed secret was altered or belongs to another installation; it was refused. Nothing was changed.",
    ),
    (
        "cli.resealed",
        "Arquivo de estado {path} selado com a nova chave. Instale {key} em cada máquina que usa este estado e apague a chave antiga.",
        "Archivo de estado {path} sellado con la nueva clave. Instale {key} en cada máquina que usa este estado y borre la clave antigua.",
        "State file {path} sealed with the new key. Deploy {key} to every machine that uses this state and delete the old key.",
    ),
    (
        "cli.reseal_missing",
        "Não há arquivo de estado em {path}: nada a selar.",
        "No hay archivo de estado en {path}: nada que sellar.",
        "No state file at {path}: nothing to seal.",
    ),
];
