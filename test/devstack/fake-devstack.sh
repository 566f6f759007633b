# shellcheck shell=bash
#
# Stand-ins for the DevStack functions devstack/plugin.sh and devstack/settings call, so they can
# be sourced without DevStack. Each one appends its call to $FAKE_LOG, one line per call: the kind
# ("fn"), the function name, then the arguments, separated by tabs. The INI functions really edit
# files so what the plugin writes can be read back. Behaviour is steered by files in $FAKE_STATE.
#
# Environment: FAKE_LOG, FAKE_STATE, FAKE_BIN (the directory of fake commands on PATH),
# FAKE_COMMAND (the fake command script that FAKE_BIN's entries link to), FAKE_DISTRO
# (ubuntu|fedora|other), ENABLED_SERVICES, DISABLED_SERVICES.

function _fake_record {
    {
        printf '%s' "$1"
        shift
        printf '\t%s' "$@"
        printf '\n'
    } >> "$FAKE_LOG"
}

# Plugin and service bookkeeping

function define_plugin {
    _fake_record fn define_plugin "$@"
}

function enable_service {
    _fake_record fn enable_service "$@"
    local service
    for service in "$@"; do
        if [[ ",${DISABLED_SERVICES:-}," == *",$service,"* ]]; then
            continue
        fi
        if [[ ",${ENABLED_SERVICES:-}," != *",$service,"* ]]; then
            ENABLED_SERVICES="${ENABLED_SERVICES:+$ENABLED_SERVICES,}$service"
        fi
    done
}

# True when any of the services is enabled; "keystone" stands for DevStack's "key" service.
function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ "$service" == "keystone" ]]; then
            service=key
        fi
        if [[ ",${DISABLED_SERVICES:-}," == *",$service,"* ]]; then
            continue
        fi
        if [[ ",${ENABLED_SERVICES:-}," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function run_process {
    _fake_record fn run_process "$@"
}

function stop_process {
    _fake_record fn stop_process "$@"
}

# Messages

function echo_summary {
    _fake_record fn echo_summary "$@"
}

function warn {
    _fake_record fn warn "$@"
    echo "WARNING: $*" >&2
}

function err {
    _fake_record fn err "$@"
    echo "ERROR: $*" >&2
}

function die {
    local line=$1
    shift
    _fake_record fn die "$line" "$*"
    echo "[ERROR] line $line: $*" >&2
    exit 1
}

# Distribution and packages

function is_ubuntu {
    [[ "${FAKE_DISTRO:-ubuntu}" == "ubuntu" ]]
}

function is_fedora {
    [[ "${FAKE_DISTRO:-ubuntu}" == "fedora" ]]
}

# Records the call. Installing nodejs makes `node` appear (or change) when $FAKE_STATE/node-version-after-install
# exists; installing npm makes `npm` appear.
function install_package {
    _fake_record fn install_package "$@"
    local package
    for package in "$@"; do
        case "$package" in
            nodejs)
                if [[ -f "$FAKE_STATE/node-version-after-install" ]]; then
                    cp "$FAKE_STATE/node-version-after-install" "$FAKE_STATE/node-version"
                    ln -sf "$FAKE_COMMAND" "$FAKE_BIN/node"
                fi
                ;;
            npm)
                ln -sf "$FAKE_COMMAND" "$FAKE_BIN/npm"
                ;;
        esac
    done
}

# Keystone

function get_or_create_user {
    _fake_record fn get_or_create_user "$@"
    echo "user-id-$1"
}

function get_or_add_user_project_role {
    _fake_record fn get_or_add_user_project_role "$@"
    echo "role-id-$1"
}

function get_or_create_service {
    _fake_record fn get_or_create_service "$@"
    echo "service-id-$2"
}

function get_or_create_endpoint {
    _fake_record fn get_or_create_endpoint "$@"
    echo "endpoint-id-$1"
}

# Database

# As DevStack's lib/databases/mysql (recreate_database_mysql) does it: `CHARACTER SET utf8`, so the
# database's default collation is utf8mb3_general_ci, not what Climate's tables use; and as
# lib/databases/postgresql does it: createdb with the C locale from template0.
function recreate_database {
    _fake_record fn recreate_database "$@"
    local db=$1
    if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
        psql -h"$DATABASE_HOST" -U"$DATABASE_USER" -dtemplate1 -c "DROP DATABASE IF EXISTS $db"
        createdb -h "$DATABASE_HOST" -U"$DATABASE_USER" -l C -T template0 -E utf8 "$db"
        return
    fi
    mysql -u"$DATABASE_USER" -p"$DATABASE_PASSWORD" -h"$MYSQL_HOST" -e "DROP DATABASE IF EXISTS $db;"
    mysql -u"$DATABASE_USER" -p"$DATABASE_PASSWORD" -h"$MYSQL_HOST" -e "CREATE DATABASE $db CHARACTER SET utf8;"
}

# As DevStack's MySQL flavour does with its performance counters on; its PostgreSQL flavour names the
# client encoding.
function database_connection_url {
    _fake_record fn database_connection_url "$@"
    if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
        echo "$BASE_SQL_CONN/$1?client_encoding=utf8"
        return
    fi
    echo "$BASE_SQL_CONN/$1?charset=utf8&plugin=dbcounter"
}

# INI files: [section] headers, "option = value" lines; an option may repeat (multi-valued).

# Rewrites option $3 of section $2 in file $1 to hold the values given after it, one line each: the
# first existing line of the option is replaced, later ones dropped; a missing option is added at the
# end of its section, a missing section at the end of the file.
function _fake_ini_write {
    local file=$1 section=$2 option=$3
    shift 3
    if [[ ! -e "$file" ]]; then
        : > "$file"
    fi
    local values=""
    if (( $# > 0 )); then
        values=$(printf '%s\n' "$@")
    fi
    local updated
    updated=$(FAKE_INI_SECTION=$section FAKE_INI_OPTION=$option FAKE_INI_VALUES=$values awk '
        function name_of(line,   n) {
            n = line
            sub(/[ \t]*=.*/, "", n)
            sub(/^[ \t]+/, "", n)
            return n
        }
        function emit(   i) {
            for (i = 1; i <= count; i++) print option " = " values[i]
            written = 1
        }
        function flush() {
            for (; blanks > 0; blanks--) print ""
        }
        BEGIN {
            section = ENVIRON["FAKE_INI_SECTION"]
            option = ENVIRON["FAKE_INI_OPTION"]
            count = ENVIRON["FAKE_INI_VALUES"] == "" ? 0 : split(ENVIRON["FAKE_INI_VALUES"], values, "\n")
            current = ""; seen = 0; written = 0; blanks = 0
        }
        /^[ \t]*$/ { blanks++; next }
        /^\[[^]]*\][ \t]*$/ {
            # a new section: what the one ending lacks goes before its trailing blank lines
            if (current == section && !written) emit()
            flush()
            current = $0
            sub(/^\[/, "", current)
            sub(/\][ \t]*$/, "", current)
            if (current == section) seen = 1
            print
            next
        }
        current == section && $0 ~ /=/ && $0 !~ /^[ \t]*[#;]/ && name_of($0) == option {
            flush()
            if (!written) emit()
            next
        }
        { flush(); print }
        END {
            if (current == section && !written) emit()
            else if (!seen) {
                if (NR > 0) print ""
                print "[" section "]"
                emit()
            }
        }
    ' "$file")
    printf '%s\n' "$updated" > "$file"
}

# Prints the values of option $3 in section $2 of file $1, one a line ($4 = "first": only the first).
function _fake_ini_read {
    local file=$1 section=$2 option=$3 which=${4:-all}
    if [[ ! -f "$file" ]]; then
        return 0
    fi
    FAKE_INI_SECTION=$section FAKE_INI_OPTION=$option FAKE_INI_WHICH=$which awk '
        BEGIN { section = ENVIRON["FAKE_INI_SECTION"]; option = ENVIRON["FAKE_INI_OPTION"]; current = "" }
        /^\[[^]]*\][ \t]*$/ {
            current = $0
            sub(/^\[/, "", current)
            sub(/\][ \t]*$/, "", current)
            next
        }
        current == section && $0 ~ /=/ && $0 !~ /^[ \t]*[#;]/ {
            name = $0
            sub(/[ \t]*=.*/, "", name)
            sub(/^[ \t]+/, "", name)
            if (name != option) next
            value = $0
            sub(/^[^=]*=[ \t]*/, "", value)
            sub(/[ \t]+$/, "", value)
            print value
            if (ENVIRON["FAKE_INI_WHICH"] == "first") exit
        }
    ' "$file"
}

# iniset [-sudo] file section option value
function iniset {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    _fake_record fn iniset "$@"
    _fake_ini_write "$1" "$2" "$3" "$4"
}

# iniset_multiline [-sudo] file section option value...
function iniset_multiline {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    _fake_record fn iniset_multiline "$@"
    _fake_ini_write "$@"
}

# iniget file section option
function iniget {
    _fake_ini_read "$1" "$2" "$3" first
}

# iniget_multiline file section option
function iniget_multiline {
    _fake_ini_read "$1" "$2" "$3" all
}
