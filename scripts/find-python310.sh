#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10, underthesea 9 needs
# 3.10+), looking at $PYTHON310, python3.10 on PATH, then pyenv. Exit 1 with advice if none.
set -u
is310() { [[ -x "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

if [[ -n "${PYTHON310:-}" ]]; then
  if is310 "$PYTHON310"; then echo "$PYTHON310"; exit 0; fi
  echo "PYTHON310=$PYTHON310 không phải Python 3.10; hãy trỏ nó tới một Python 3.10." >&2
  exit 1
fi
for candidate in "$(command -v python3.10 2>/dev/null)" \
                 "$(pyenv root 2>/dev/null)"/versions/3.10*/bin/python3.10 \
                 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 \
                 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  if [[ -n "$candidate" ]] && is310 "$candidate"; then echo "$candidate"; exit 0; fi
done
cat >&2 <<'MSG'
Không tìm thấy Python 3.10 (Rasa 3.6 cần Python 3.8-3.10, underthesea 9 cần 3.10).
Cài một bản rồi chạy lại, ví dụ:  pyenv install 3.10.13   hoặc   apt-get install python3.10 python3.10-venv
hoặc chỉ định sẵn:  make run PYTHON310=/đường/dẫn/python3.10
MSG
exit 1
