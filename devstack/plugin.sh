# shellcheck shell=bash
#
# DevStack plugin for Climate, the reservation service (Blazar-compatible API, service type
# "reservation").
#
# DevStack sources this file as `source plugin.sh <mode> [phase]`:
#   stack install      Node.js 20 or newer (the distribution's), then `npm ci` and `npm run build`
#   stack post-config  climate.conf, the database and its schema, the service user and catalog entry,
#                      RabbitMQ's STOMP plugin, and the Climate filter in nova-scheduler
#   stack extra        the freepool aggregate, then the climate-api and climate-manager services
#   unstack            stops both services
#   clean              removes the configuration, the database and the installed Nova filter
# Settings (CLIMATE_*) are in devstack/settings; DevStack sources it before this file.

# Trace what the plugin does in stack.sh's log; the caller's setting is restored at the end.
_XTRACE_CLIMATE=$(set +o | grep xtrace)
set -o xtrace


# Helpers
# -------

# The absolute path of command $1, or nothing when it is not found.
function _climate_which {
    command -v "$1" 2>/dev/null || true
}

# The major version of the Node.js binary $1 (e.g. 20 for v20.11.1), or nothing when it does not
# run or prints no version.
function _climate_node_major {
    local version
    version=$("$1" --version 2>/dev/null) || return 0
    version=${version#v}
    version=${version%%.*}
    if [[ "$version" =~ ^[0-9]+$ ]]; then
        echo "$version"
    fi
}

# The version of the distribution's nodejs package that installing it would bring, or nothing when
# the distribution has none (or is neither Debian/Ubuntu nor Fedora/RHEL).
function _climate_distro_node_version {
    local version=""
    if is_ubuntu; then
        version=$(apt-cache policy nodejs 2>/dev/null | awk '$1 == "Candidate:" {print $2; exit}')
    elif is_fedora; then
        version=$(dnf -q repoquery --latest-limit 1 --qf '%{version}\n' nodejs 2>/dev/null | head -n 1)
    fi
    if [[ "$version" == "(none)" ]]; then
        version=""
    fi
    echo "$version"
}

# The major version in a package version such as 1:20.19.2+dfsg-1, or nothing.
function _climate_package_major {
    local version=${1#*:}
    version=${version%%.*}
    if [[ "$version" =~ ^[0-9]+$ ]]; then
        echo "$version"
    fi
}

# Percent-encodes $1 for the user or password part of a URL.
function _climate_urlencode {
    local LC_ALL=C
    local text=$1 out="" char i
    for (( i = 0; i < ${#text}; i++ )); do
        char=${text:i:1}
        case "$char" in
            [A-Za-z0-9._~-]) out+=$char ;;
            *) printf -v char '%%%02X' "'$char"; out+=$char ;;
        esac
    done
    echo "$out"
}

# The absolute path of the Node.js binary Climate runs on; dies when there is none.
function _climate_node_path {
    local node
    node=$(_climate_which "$CLIMATE_NODE")
    if [[ -z "$node" ]]; then
        die $LINENO "Climate: Node.js ($CLIMATE_NODE) not found; the 'stack install' phase should have found or installed it"
    fi
    echo "$node"
}

# The Python that runs nova-scheduler.
function _climate_nova_python {
    echo "${CLIMATE_NOVA_PYTHON:-${PYTHON:-python3}}"
}

# The directory nova-scheduler imports Python modules from (where the nova package is), or nothing
# when Nova is not importable.
function _climate_nova_site_dir {
    "$(_climate_nova_python)" -c 'import nova, os; print(os.path.dirname(os.path.dirname(nova.__file__)))' 2>/dev/null || true
}


# stack install
# -------------

# Makes sure Node.js $CLIMATE_NODE_MIN_MAJOR or newer is there: the one on PATH when new enough,
# otherwise the distribution's package when that is new enough; dies naming what to install otherwise.
function install_climate_nodejs {
    local want=$CLIMATE_NODE_MIN_MAJOR
    local node major found="none"
    node=$(_climate_which "$CLIMATE_NODE")
    if [[ -n "$node" ]]; then
        major=$(_climate_node_major "$node")
        found="$("$node" --version 2>/dev/null || echo "unknown version") at $node"
        if [[ -n "$major" ]] && (( major >= want )); then
            echo "Climate: using Node.js $found"
            _climate_ensure_npm
            return 0
        fi
    fi

    local candidate candidate_major
    local distro="The distribution's nodejs package is not available."
    candidate=$(_climate_distro_node_version)
    if [[ -n "$candidate" ]]; then
        distro="The distribution's nodejs package is $candidate, which is too old."
    fi
    candidate_major=$(_climate_package_major "$candidate")
    if [[ -n "$candidate_major" ]] && (( candidate_major >= want )); then
        echo "Climate: Node.js found: $found; installing the distribution's nodejs $candidate"
        install_package nodejs npm
        hash -r
        node=$(_climate_which "$CLIMATE_NODE")
        major=""
        if [[ -n "$node" ]]; then
            major=$(_climate_node_major "$node")
        fi
        if [[ -n "$major" ]] && (( major >= want )); then
            _climate_ensure_npm
            return 0
        fi
        found="$("${node:-false}" --version 2>/dev/null || echo "none") after installing nodejs $candidate"
        distro="The distribution's nodejs $candidate did not provide it as '$CLIMATE_NODE' on PATH."
    fi

    die $LINENO "Climate needs Node.js $want or newer; found: $found." "$distro" \
        "Install Node.js $want or newer (e.g. from https://nodejs.org/ or NodeSource's nodejs package)" \
        "so that '$CLIMATE_NODE' and '$CLIMATE_NPM' on PATH are that version, or set CLIMATE_NODE and" \
        "CLIMATE_NPM in local.conf to its binaries, then run stack.sh again."
}

# npm comes with Node.js from nodejs.org or NodeSource, but is a separate package on Debian/Ubuntu.
function _climate_ensure_npm {
    if [[ -z "$(_climate_which "$CLIMATE_NPM")" ]]; then
        install_package npm
        hash -r
    fi
    if [[ -z "$(_climate_which "$CLIMATE_NPM")" ]]; then
        die $LINENO "Climate: npm ($CLIMATE_NPM) not found; install the npm that goes with $CLIMATE_NODE, or set CLIMATE_NPM in local.conf"
    fi
}

# Installs the dependencies (development ones included: the TypeScript compiler) and builds dist/.
function install_climate {
    install_climate_nodejs
    local node
    node=$(_climate_node_path)
    # npm runs its scripts with the `node` it finds on PATH: make that the one chosen above.
    local node_bin
    node_bin=$(dirname "$node")
    (
        cd "$CLIMATE_DIR" &&
            PATH="$node_bin:$PATH" "$CLIMATE_NPM" ci &&
            PATH="$node_bin:$PATH" "$CLIMATE_NPM" run build
    ) || die $LINENO "Climate: 'npm ci' or 'npm run build' failed in $CLIMATE_DIR"
    if [[ ! -f "$CLIMATE_DIR/dist/src/cli/climate-api.js" ]]; then
        die $LINENO "Climate: the build left no $CLIMATE_DIR/dist/src/cli/climate-api.js"
    fi
}


# stack post-config
# -----------------

# Writes $CLIMATE_CONF.
function configure_climate {
    # Climate runs on DevStack's MySQL/MariaDB or PostgreSQL, whichever DATABASE_TYPE chose.
    case "${DATABASE_TYPE:-mysql}" in
        mysql | postgresql) ;;
        *) die $LINENO "Climate needs MySQL/MariaDB or PostgreSQL: DATABASE_TYPE=$DATABASE_TYPE is not supported" ;;
    esac
    sudo install -d -o "$STACK_USER" -m 0755 "$CLIMATE_CONF_DIR"
    rm -f "$CLIMATE_CONF"
    touch "$CLIMATE_CONF"
    chmod 0640 "$CLIMATE_CONF"

    iniset "$CLIMATE_CONF" DEFAULT host "$CLIMATE_SERVICE_LISTEN_ADDRESS"
    iniset "$CLIMATE_CONF" DEFAULT port "$CLIMATE_SERVICE_PORT"
    iniset "$CLIMATE_CONF" DEFAULT auth_strategy "$CLIMATE_AUTH_STRATEGY"
    iniset "$CLIMATE_CONF" DEFAULT debug "$CLIMATE_DEBUG"

    # DevStack's URL (mysql+pymysql:// or postgresql://, for the database recreate_database made) may
    # carry "plugin=dbcounter", a SQLAlchemy (Python) plugin that means nothing to Climate: keep the
    # other parameters.
    local connection
    connection=$(_climate_drop_url_param "$(database_connection_url "$CLIMATE_DB_NAME")" plugin)
    iniset "$CLIMATE_CONF" database connection "$connection"

    iniset "$CLIMATE_CONF" compute driver "$CLIMATE_COMPUTE_DRIVER"

    iniset "$CLIMATE_CONF" notifications driver "$CLIMATE_NOTIFICATION_DRIVER"
    iniset "$CLIMATE_CONF" notifications exchange "$CLIMATE_NOTIFICATION_EXCHANGE"
    if [[ "$CLIMATE_NOTIFICATION_DRIVER" == "stomp" ]]; then
        iniset "$CLIMATE_CONF" notifications transport_url \
            "stomp://$(_climate_urlencode "$CLIMATE_STOMP_USER"):$(_climate_urlencode "$CLIMATE_STOMP_PASSWORD")@$CLIMATE_STOMP_HOST:$CLIMATE_STOMP_PORT/"
    fi

    iniset "$CLIMATE_CONF" keystone_authtoken auth_url "$CLIMATE_KEYSTONE_AUTH_URL"
    iniset "$CLIMATE_CONF" keystone_authtoken www_authenticate_uri "$CLIMATE_KEYSTONE_WWW_AUTHENTICATE_URI"
    iniset "$CLIMATE_CONF" keystone_authtoken auth_type password
    iniset "$CLIMATE_CONF" keystone_authtoken username "$CLIMATE_SERVICE_USER"
    iniset "$CLIMATE_CONF" keystone_authtoken password "$CLIMATE_SERVICE_PASSWORD"
    iniset "$CLIMATE_CONF" keystone_authtoken project_name "$CLIMATE_SERVICE_PROJECT"
    iniset "$CLIMATE_CONF" keystone_authtoken user_domain_name "$CLIMATE_SERVICE_DOMAIN"
    iniset "$CLIMATE_CONF" keystone_authtoken project_domain_name "$CLIMATE_SERVICE_DOMAIN"
}

# URL $1 without the query-string parameter named $2.
function _climate_drop_url_param {
    local url=$1 name=$2
    if [[ "$url" != *"?"* ]]; then
        echo "$url"
        return 0
    fi
    local base=${url%%\?*} query=${url#*\?} kept="" param
    local -a params
    IFS='&' read -r -a params <<< "$query"
    for param in "${params[@]}"; do
        if [[ -n "$param" && "${param%%=*}" != "$name" ]]; then
            kept+="${kept:+&}$param"
        fi
    done
    echo "$base${kept:+?$kept}"
}

# Enables RabbitMQ's STOMP plugin (port 61613) when RabbitMQ runs on this node.
function configure_climate_rabbitmq {
    if [[ "$CLIMATE_NOTIFICATION_DRIVER" != "stomp" ]]; then
        return 0
    fi
    if is_service_enabled rabbit; then
        sudo rabbitmq-plugins enable rabbitmq_stomp
    else
        warn $LINENO "Climate: RabbitMQ does not run on this node: enable its rabbitmq_stomp plugin on $CLIMATE_STOMP_HOST yourself"
    fi
}

# Creates the database and brings its schema up to date.
function init_climate_db {
    recreate_database "$CLIMATE_DB_NAME"
    "$(_climate_node_path)" "$CLIMATE_DIR/dist/src/cli/climate-manage.js" --config-file "$CLIMATE_CONF" db sync
}

# The service user (admin in the service project), the service and its endpoint.
function create_climate_accounts {
    get_or_create_user "$CLIMATE_SERVICE_USER" "$CLIMATE_SERVICE_PASSWORD" "$CLIMATE_SERVICE_DOMAIN" >/dev/null
    get_or_add_user_project_role "$CLIMATE_SERVICE_ROLE" "$CLIMATE_SERVICE_USER" "$CLIMATE_SERVICE_PROJECT" \
        "$CLIMATE_SERVICE_DOMAIN" "$CLIMATE_SERVICE_DOMAIN" >/dev/null
    if is_service_enabled climate-api; then
        get_or_create_service "$CLIMATE_SERVICE_NAME" "$CLIMATE_SERVICE_TYPE" "Climate reservation service" >/dev/null
        get_or_create_endpoint "$CLIMATE_SERVICE_TYPE" "$CLIMATE_REGION_NAME" \
            "$CLIMATE_SERVICE_PROTOCOL://$CLIMATE_SERVICE_HOST:$CLIMATE_SERVICE_PORT/v1" >/dev/null
    fi
}

# Makes nova-scheduler load and use the Climate filter: the module goes next to the nova package,
# the class is added to [filter_scheduler] available_filters (next to Nova's own filters) and
# appended to enabled_filters.
function configure_climate_nova {
    local module=${CLIMATE_NOVA_FILTER%.*}
    local class=${CLIMATE_NOVA_FILTER##*.}
    if [[ ! -f "$CLIMATE_NOVA_FILTER_SRC" ]]; then
        die $LINENO "Climate: the Nova filter $CLIMATE_NOVA_FILTER_SRC is missing"
    fi
    local site
    site=$(_climate_nova_site_dir)
    if [[ -z "$site" ]]; then
        die $LINENO "Climate: $(_climate_nova_python) cannot import nova; set CLIMATE_NOVA_PYTHON to the Python that runs nova-scheduler"
    fi
    sudo install -m 0644 "$CLIMATE_NOVA_FILTER_SRC" "$site/$module.py"

    local available filter
    available=$(iniget_multiline "$CLIMATE_NOVA_CONF" filter_scheduler available_filters)
    if [[ -z "$available" ]]; then
        # Nova's default, which an explicit value replaces
        available="nova.scheduler.filters.all_filters"
    fi
    local found=0
    for filter in $available; do
        if [[ "$filter" == "$CLIMATE_NOVA_FILTER" ]]; then
            found=1
        fi
    done
    if (( ! found )); then
        available="$available $CLIMATE_NOVA_FILTER"
    fi
    # shellcheck disable=SC2086 # one argument per filter
    iniset_multiline "$CLIMATE_NOVA_CONF" filter_scheduler available_filters $available

    local enabled
    enabled=$(iniget "$CLIMATE_NOVA_CONF" filter_scheduler enabled_filters)
    if [[ -z "$enabled" ]]; then
        enabled=${NOVA_FILTERS:-}
    fi
    if [[ -z "$enabled" ]]; then
        die $LINENO "Climate: [filter_scheduler] enabled_filters is not set in $CLIMATE_NOVA_CONF and NOVA_FILTERS is empty"
    fi
    if [[ ",$enabled," != *",$class,"* ]]; then
        enabled="$enabled,$class"
    fi
    iniset "$CLIMATE_NOVA_CONF" filter_scheduler enabled_filters "$enabled"
}


# stack extra
# -----------

# Creates the aggregate that holds the hosts no lease uses, unless it exists.
function create_climate_freepool {
    if ! openstack --os-cloud "$CLIMATE_OS_CLOUD" aggregate show "$CLIMATE_FREEPOOL_AGGREGATE" >/dev/null 2>&1; then
        openstack --os-cloud "$CLIMATE_OS_CLOUD" aggregate create "$CLIMATE_FREEPOOL_AGGREGATE" >/dev/null
    fi
}

function start_climate {
    local node
    node=$(_climate_node_path)
    if is_service_enabled climate-api; then
        run_process climate-api "$node $CLIMATE_DIR/dist/src/cli/climate-api.js --config-file $CLIMATE_CONF"
    fi
    if is_service_enabled climate-manager; then
        run_process climate-manager "$node $CLIMATE_DIR/dist/src/cli/climate-manager.js --config-file $CLIMATE_CONF"
    fi
}


# unstack
# -------

function stop_climate {
    stop_process climate-api
    stop_process climate-manager
}


# clean
# -----

# Drops the database; best effort, as unstack.sh --all may have stopped the database server.
function _climate_drop_database {
    local rc=0
    case "$DATABASE_TYPE" in
        mysql)
            mysql -u"$DATABASE_USER" -p"$DATABASE_PASSWORD" -h"${MYSQL_HOST:-$DATABASE_HOST}" \
                -e "DROP DATABASE IF EXISTS $CLIMATE_DB_NAME;" || rc=$?
            ;;
        postgresql)
            psql -h"$DATABASE_HOST" -U"$DATABASE_USER" -dtemplate1 \
                -c "DROP DATABASE IF EXISTS $CLIMATE_DB_NAME" || rc=$?
            ;;
        *)
            rc=1
            ;;
    esac
    if (( rc != 0 )); then
        warn $LINENO "Climate: could not drop the $CLIMATE_DB_NAME database (${DATABASE_TYPE:-no} database)"
    fi
}

function cleanup_climate {
    sudo rm -rf "$CLIMATE_CONF_DIR"
    if is_service_enabled mysql postgresql; then
        _climate_drop_database
    fi
    local module=${CLIMATE_NOVA_FILTER%.*}
    local site
    site=$(_climate_nova_site_dir)
    if [[ -n "$site" ]]; then
        sudo rm -f "$site/$module.py" "$site/__pycache__/$module".*.pyc
    fi
}


# Dispatch
# --------

if is_service_enabled climate-api climate-manager; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Climate"
        install_climate
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Climate"
        configure_climate
        configure_climate_rabbitmq
        if is_service_enabled mysql postgresql; then
            init_climate_db
        fi
        if is_service_enabled keystone; then
            create_climate_accounts
        fi
        if [[ "$CLIMATE_COMPUTE_DRIVER" == "nova" ]] && is_service_enabled n-sch; then
            configure_climate_nova
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting Climate"
        if [[ "$CLIMATE_COMPUTE_DRIVER" == "nova" ]] && is_service_enabled n-api; then
            create_climate_freepool
        fi
        start_climate
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_climate
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_climate
    fi
fi

$_XTRACE_CLIMATE
