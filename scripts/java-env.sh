# Sourced by ./sluice and scripts/test.sh: point JAVA_HOME at a JDK 21 or newer.
# Uses $JAVA_HOME when it is new enough, else the newest JDK under /usr/lib/jvm.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}
sluice_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  local best="" best_major=0 d m
  for d in /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    m=$(java_major "$d" 2>/dev/null || echo 0)
    if [ -n "$m" ] && [ "$m" -ge 21 ] 2>/dev/null && [ "$m" -gt "$best_major" ]; then
      best=$d; best_major=$m
    fi
  done
  if [ -z "$best" ]; then
    echo "sluice: needs a JDK 21 or newer (set JAVA_HOME); none found under /usr/lib/jvm" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
sluice_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
