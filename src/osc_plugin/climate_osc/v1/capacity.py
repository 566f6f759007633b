"""``openstack reservation capacity show``: host counts over time (``GET /v1/os-hosts/capacity``)."""

from osc_lib.command import command

COLUMNS = ('start_date', 'end_date', 'total', 'reservable', 'allocated', 'with_instances', 'free')


class ShowCapacity(command.Lister):
    """Show, for each step of a time range, how many hosts are reservable, allocated and free (Climate extension).

    A host is free in a step when it is reservable and free for the whole step, cleaning time included.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--start', '--start-date', metavar='<date>', dest='start',
            help='Start of the range, "YYYY-MM-DD HH:MM" UTC (default: now).')
        parser.add_argument(
            '--end', '--end-date', metavar='<date>', dest='end', required=True,
            help='End of the range, "YYYY-MM-DD HH:MM" UTC.')
        parser.add_argument(
            '--step', metavar='<duration>',
            help='Length of a step: seconds, or with a unit (90m, 3h, 1d). Default one hour.')
        parser.add_argument(
            '--hypervisor-properties', metavar='<filter>',
            help='Only hosts matching this filter, as in a physical:host reservation, e.g. \'[">=", "$vcpus", "16"]\'.')
        parser.add_argument(
            '--resource-properties', metavar='<filter>',
            help='Only hosts whose extra capabilities match this filter, e.g. \'["==", "$gpu", "true"]\'.')
        return parser

    def take_action(self, parsed_args):
        capacity = self.app.client_manager.climate.host_capacity({
            'start': parsed_args.start,
            'end': parsed_args.end,
            'step': parsed_args.step,
            'hypervisor_properties': parsed_args.hypervisor_properties,
            'resource_properties': parsed_args.resource_properties,
        })
        return COLUMNS, [tuple(step[column] for column in COLUMNS) for step in capacity['steps']]
