# lib.sh: what the benchmark scripts share; source it (`. "$repo/bench/lib.sh"`).
#
# bench_machine: the machine a figure was measured on, one "name: value" line each, for
# docs/benchmarks.md: cores, CPU, memory, /tmp's disk, kernel, Debian, the server versions
# installed, the compilers running now (a busy shared machine shows here) and the load average.

bench_machine() {
  local pg
  pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  echo "cores (nproc):   $(nproc)"
  echo "CPU:             $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
  echo "memory:          $(free -h | awk '/^Mem:/ {print $2}')"
  echo "disk (/tmp):     $(df -h --output=source,fstype,size /tmp | tail -1 | tr -s ' ')"
  echo "kernel:          $(uname -r)"
  echo "Debian:          $(cat /etc/debian_version 2>/dev/null || echo '?')"
  echo "Dovecot:         $(dovecot --version 2>/dev/null || echo '?')"
  echo "PostgreSQL:      $("$pg/postgres" --version 2>/dev/null || echo '?')"
  echo "compilers now:   $(pgrep -c cc1plus || true) cc1plus processes"
  echo "load average:    $(cut -d' ' -f1-3 /proc/loadavg)"
}
