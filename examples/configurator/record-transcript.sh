#!/usr/bin/env bash
# Records docs/transcript-replacement.md: the interactive configurator (on a
# real terminal, driven through tmux) in the replacement scenario, typing a
# wrong environment name and then the right one.
# Usage (from the repository root): examples/configurator/record-transcript.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export LANG=C.UTF-8 LC_ALL=C.UTF-8
out=docs/transcript-replacement.md
session=smartlink-transcript-$$
cargo build -q -p smartlink-configurator
tmux -u new-session -d -s "$session" -x 200 -y 60 -c "$PWD" \
  "env PS1='$ ' LANG=C.UTF-8 ${CARGO_TARGET_DIR:+CARGO_TARGET_DIR=$CARGO_TARGET_DIR} bash --norc --noprofile"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
steps=()
snap() { # snap DELAY TITLE
  sleep "$1"
  steps+=("$2")
  tmux capture-pane -t "$session" -p -S -300 | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"/tmp/$session-${#steps[@]}.txt"
}
keys() { tmux send-keys -t "$session" "$@"; }
sleep 0.5; keys "clear" Enter; sleep 0.3
keys "cargo run -q -p smartlink-configurator" Enter; snap 6 "Started with no arguments: the embedded sandbox and the welcome screen"
keys Enter; snap 1 "Enter on *Iniciar*: the name screen"
keys -l "Protheus novo (servidor 2025)"; keys Enter; snap 2 "Name typed: the environment list (replacement scenario, with the create tab)"
keys Enter; snap 1 "Enter on *Produção Matriz* (held by the old Protheus installation): the button"
keys Enter; snap 1 "Enter on *Gerar novas credenciais*: the overwrite alert asks for the environment's name"
keys -l "Producao Matriz"; keys Enter; snap 1 "A wrong name typed (no cedilla, no tilde): *Confirmar* stays disabled and the name is asked again"
keys -l "Produção Matriz"; keys Enter; snap 1 "The right name typed: *Confirmar* is enabled"
keys Enter; snap 3 "Enter on *Confirmar*: the finishing screen, then done"
keys 'echo "exit code: $?"' Enter; snap 0.5 "The exit code"
{
  echo "# Transcript: replacing an installation's binding (typed-name confirmation)"
  echo
  echo "Recorded with tmux by \`examples/configurator/record-transcript.sh\` on a"
  echo "200x60 terminal (\`tmux capture-pane -p\` after each key). The configurator"
  echo "runs with no arguments: the embedded sandbox with the demo data, where"
  echo "*Produção Matriz* holds an older Protheus installation. Keys sent, in order:"
  echo "Enter (Iniciar), \`Protheus novo (servidor 2025)\` Enter, Enter (Produção Matriz),"
  echo "Enter (Gerar novas credenciais), \`Producao Matriz\` Enter (wrong),"
  echo "\`Produção Matriz\` Enter (right), Enter (Confirmar)."
  echo
  echo "The spinner of the finishing screen is not visible in the captures: against"
  echo "the local sandbox the background task ends within milliseconds."
  for i in "${!steps[@]}"; do
    n=$((i + 1))
    echo
    echo "## $n. ${steps[$i]}"
    echo
    echo '```text'
    cat "/tmp/$session-$n.txt"
    echo '```'
    rm -f "/tmp/$session-$n.txt"
  done
} >"$out"
echo "wrote $out"
