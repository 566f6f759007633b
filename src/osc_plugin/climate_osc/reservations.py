"""``--reservation key=value,...`` as ``openstack reservation lease create`` reads it.

Same rules as python-blazarclient (blazarclient/v1/shell_commands/leases.py): pairs are taken from the right,
so a value may hold commas (a JSON filter such as ``["==", "$gpu", "true"]``) as long as no ``,<key>=`` of its
resource type appears in it; integer-looking values become integers; a key given twice is an error. Unlike
``lease create`` it adds no default values: the request carries what was typed, and Climate applies the same
defaults and checks as to a lease create.
"""

import json
import re

from osc_lib import exceptions

# The keys python-blazarclient knows per resource type; other resource types take any key.
KNOWN_KEYS = {
    'physical:host': ('resource_type', 'min', 'max', 'hypervisor_properties', 'resource_properties', 'before_end'),
    'virtual:instance': ('resource_type', 'vcpus', 'memory_mb', 'disk_gb', 'amount', 'affinity',
                         'resource_properties'),
    'virtual:floatingip': ('resource_type', 'amount', 'network_id', 'required_floatingips'),
}
ANY_KEY = r'[A-Za-z_][A-Za-z0-9_]*'
# Keys whose value is JSON (a list), as blazarclient parses them.
JSON_KEYS = ('required_floatingips',)
INTEGER = re.compile(r'^[+-]?\d+$')


def parse_reservation(text):
    """Returns the reservation dict of one ``--reservation`` value; raises CommandError saying what is wrong."""
    usage = ("Invalid reservation argument '%s'. Reservation arguments must be of the form "
             "--reservation resource_type=<type>,<key>=<value>,..." % text)
    resource_type = next((name for name in KNOWN_KEYS if name in text), None)
    keys = '|'.join(re.escape(key) for key in KNOWN_KEYS[resource_type]) if resource_type else ANY_KEY
    pair = re.compile(r'^(?:(.*),)?(%s)=(.*)$' % keys, re.DOTALL)
    reservation = {}
    rest = text
    while rest:
        match = pair.match(rest)
        if match is None:
            raise exceptions.CommandError(usage)
        head, key, value = match.groups()
        if key in reservation:
            raise exceptions.CommandError("%s: %s is given twice." % (usage, key))
        reservation[key] = _value(key, value, usage)
        rest = head or ''
    if 'resource_type' not in reservation:
        raise exceptions.CommandError('%s: resource_type is missing.' % usage)
    if ',' in str(reservation['resource_type']):
        # Something after resource_type that is not one of its keys was read as part of its value.
        known = ': keys of %s are %s' % (resource_type, ', '.join(KNOWN_KEYS[resource_type])) if resource_type else ''
        raise exceptions.CommandError('%s: not a key=value list%s.' % (usage, known))
    return reservation


def _value(key, value, usage):
    if INTEGER.match(value):
        return int(value)
    if key in JSON_KEYS:
        try:
            return json.loads(value)
        except ValueError:
            raise exceptions.CommandError('%s: %s is not JSON.' % (usage, key))
    return value
