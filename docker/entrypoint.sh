#!/bin/sh
# The image's entry point: options alone (or nothing) serve on 0.0.0.0; a first word that is not an
# option is an `aihubmix-mock` command of its own (`serve ...`); --help is serve's, --version the program's.
# exec: the server is PID 1 and gets docker's SIGTERM itself (it exits 0, the state file closed).
set -e
case "${1:-}" in
  --version) exec aihubmix-mock --version ;;
  "" | -*) exec aihubmix-mock serve --host 0.0.0.0 "$@" ;;
  *) exec aihubmix-mock "$@" ;;
esac
