#!/bin/bash
# Entrypoint of the ome.k8s Redmine test image (Debian's Redmine 5.0). Written for ome.k8s; it honours the
# environment of docker.io/library/redmine that ome.k8s.redmine sets (docs/testing-images.md, "redmine"):
#   REDMINE_DB_POSTGRES, REDMINE_DB_PORT, REDMINE_DB_DATABASE, REDMINE_DB_USERNAME, REDMINE_DB_PASSWORD
#     -> config/database.yml (production, postgresql)
#   REDMINE_SECRET_KEY_BASE -> config/secret_key.txt (where Debian's Redmine reads it)
#   REDMINE_PLUGINS_MIGRATE (non-empty) -> rake redmine:plugins:migrate after db:migrate
# For `rails server` it then migrates the database and starts thin on port 3000; any other command runs
# as given, in the Rails root, with the configuration written.
set -euo pipefail

app=/usr/share/redmine    # Debian's Rails root
home=/usr/src/redmine     # the instance: config (-> /etc/redmine/default), files, log, tmp, plugins, themes
pidfile="$home/tmp/pids/server.pid"

say() { echo "redmine-entrypoint: $*" >&2; }

# Ruby writes the YAML, so any character in a value is quoted correctly. Rails and Debian's Gemfile read
# database.yml through ERB, so a literal "<%" in a value is written as ERB's escape "<%%".
write_database_yml() {
    ruby -ryaml -e '
        db = {
          "adapter" => "postgresql",
          "host" => ENV.fetch("REDMINE_DB_POSTGRES"),
          "port" => Integer(ENV.fetch("REDMINE_DB_PORT", "5432"), 10),
          "database" => ENV.fetch("REDMINE_DB_DATABASE", "redmine"),
          "username" => ENV.fetch("REDMINE_DB_USERNAME", "postgres"),
          "encoding" => "utf8",
        }
        db["password"] = ENV["REDMINE_DB_PASSWORD"] if ENV.key?("REDMINE_DB_PASSWORD")
        File.write(ARGV[0], YAML.dump("production" => db).gsub("<%", "<%%"))
    ' "$home/config/database.yml"
}

write_secret() {
    printf '%s\n' "$REDMINE_SECRET_KEY_BASE" > "$home/config/secret_key.txt"
}

# Rails would fail at once on a database that is still starting; give it a few minutes first.
wait_for_database() {
    local deadline=$((SECONDS + 300))
    until pg_isready -q -h "$REDMINE_DB_POSTGRES" -p "${REDMINE_DB_PORT:-5432}"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "PostgreSQL at $REDMINE_DB_POSTGRES:${REDMINE_DB_PORT:-5432} is not accepting connections; migrating anyway"
            return
        fi
        sleep 2
    done
}

# Redmine 5.0 reads themes from public/themes; Redmine 6 (and the role) put them in $home/themes.
link_themes() {
    local theme
    find "$app/public/themes" -maxdepth 1 -type l -delete
    for theme in "$home"/themes/*/; do
        [ -d "$theme" ] || continue
        theme="${theme%/}"
        if [ -e "$app/public/themes/${theme##*/}" ]; then
            say "theme ${theme##*/} is also built in; keeping the built-in one"
        else
            ln -s "$theme" "$app/public/themes/${theme##*/}"
        fi
    done
}

prepare_server() {
    rm -f "$pidfile"
    if [ -n "${REDMINE_DB_POSTGRES:-}" ]; then
        wait_for_database
    fi
    # Plugins with a Gemfile change the bundle: resolve it again from the gems installed in the image (no
    # network); a plugin needing a gem the image lacks fails here, by name.
    if compgen -G "$home/plugins/*/Gemfile" > /dev/null || compgen -G "$home/plugins/*/PluginGemfile" > /dev/null; then
        say "plugins with a Gemfile: bundle install --local"
        bundle install --local --quiet
    fi
    say "rake db:migrate"
    # SCHEMA=/dev/null: do not dump db/schema.rb into the read-only application directory (Debian's postinst
    # migrates the same way).
    SCHEMA=/dev/null rake db:migrate
    if [ -n "${REDMINE_PLUGINS_MIGRATE:-}" ]; then
        say "rake redmine:plugins:migrate"
        SCHEMA=/dev/null rake redmine:plugins:migrate
    fi
    link_themes
}

cd "$app"
umask 0077
if [ -n "${REDMINE_DB_POSTGRES:-}" ]; then
    write_database_yml
fi
if [ -n "${REDMINE_SECRET_KEY_BASE:-}" ]; then
    write_secret
fi
umask 0022

if [ "${1:-}" = rails ] && [ "${2:-}" = server ]; then
    prepare_server
    shift 2
    say "starting thin on port 3000"
    exec ruby bin/rails server -u thin -p 3000 -P "$pidfile" "$@"
fi
if [ "${1:-}" = rails ]; then
    shift
    exec ruby bin/rails "$@"
fi
exec "$@"
