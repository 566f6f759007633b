"""``openstack reservation quota show`` and ``quota set``: a project's limits (``/v1/quotas/{project_id}``)."""

import argparse

from osc_lib import exceptions
from osc_lib.command import command

# The limits in the order the API documents them, with the option that sets each.
LIMITS = (
    ('hosts', '--hosts', 'Whole hosts (physical:host) held at the same time.'),
    ('host_hours', '--host-hours', 'Host-hours held within any window of the rolling period ([quotas] host_hours_period).'),
    ('instance_slots', '--instance-slots', 'Instance slots held at the same time.'),
    ('leases', '--leases', 'Leases at the same time.'),
    ('max_lease_duration', '--max-lease-duration', 'Longest lease, in seconds.'),
    ('max_extension', '--max-extension', 'Longest move of a lease end by one update, in seconds.'),
)
COLUMNS = ('project_id',) + tuple(name for name, _, _ in LIMITS) + ('host_hours_period', 'project_limits')


def limit_value(text):
    """A limit as the API takes it: a whole number from -1 (no limit) up, or ``default`` (JSON null)."""
    if text == 'default':
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a whole number, -1 or "default"' % text)
    if value < -1:
        raise argparse.ArgumentTypeError('%d is below -1 (no limit)' % value)
    return value


def quota_row(quota):
    """The columns and values of a quota document, ``project_limits`` as text."""
    values = dict(quota, project_limits=', '.join(quota.get('project_limits') or []))
    return COLUMNS, tuple(values.get(column) for column in COLUMNS)


def project_of(app, parsed_args):
    """The project named on the command line, else the one of the caller's token."""
    if parsed_args.project:
        return parsed_args.project
    auth_ref = getattr(app.client_manager, 'auth_ref', None)
    project = getattr(auth_ref, 'project_id', None) if auth_ref else None
    if not project:
        raise exceptions.CommandError('Give the project: the credentials in use are not scoped to one')
    return project


class ShowQuota(command.ShowOne):
    """Show the quotas in effect for a project: its own limits, the [quotas] defaults for the rest (Climate extension).

    -1 means no limit. Admins see any project; members and readers their own.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>', nargs='?', help='Project ID (default: your own).')
        parser.add_argument('--default', action='store_true', help='Show the [quotas] defaults instead (admins).')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.climate
        if parsed_args.default:
            return quota_row(client.quotas()['defaults'])
        return quota_row(client.quota(project_of(self.app, parsed_args)))


class SetQuota(command.ShowOne):
    """Set quotas of a project (admins; Climate extension). Limits not given keep their value."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>', help='Project ID.')
        for name, option, text in LIMITS:
            parser.add_argument(option, dest=name, metavar='<limit>', type=limit_value,
                                default=argparse.SUPPRESS, help=text + ' -1: no limit; "default": the configured default.')
        return parser

    def take_action(self, parsed_args):
        body = {name: getattr(parsed_args, name) for name, _, _ in LIMITS if hasattr(parsed_args, name)}
        if not body:
            raise exceptions.CommandError('Nothing to set: give at least one of %s' % ', '.join(o for _, o, _ in LIMITS))
        return quota_row(self.app.client_manager.climate.set_quota(parsed_args.project, body))
