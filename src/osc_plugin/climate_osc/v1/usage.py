"""``openstack reservation usage show``: host-hours and instance-slot-hours by project (``GET /v1/usage``)."""

from osc_lib.command import command

COLUMNS = ('project_id', 'resource_type', 'host_hours', 'instance_slot_hours', 'leases')


class ShowUsage(command.Lister):
    """Show the host-hours and instance-slot-hours that leases held in a time range, by project (Climate extension).

    Ended and deleted leases count. Members see their own project; admins any project, or all of them.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--start', '--start-date', metavar='<date>', dest='start', required=True,
            help='Start of the range, "YYYY-MM-DD HH:MM" UTC.')
        parser.add_argument(
            '--end', '--end-date', metavar='<date>', dest='end', required=True,
            help='End of the range, "YYYY-MM-DD HH:MM" UTC.')
        parser.add_argument(
            '--project', metavar='<project-id>',
            help='Only this project (admins; default: every project, or your own for members).')
        return parser

    def take_action(self, parsed_args):
        report = self.app.client_manager.climate.usage({
            'start': parsed_args.start, 'end': parsed_args.end, 'project_id': parsed_args.project})
        return COLUMNS, [tuple(entry[column] for column in COLUMNS) for entry in report['usage']]
