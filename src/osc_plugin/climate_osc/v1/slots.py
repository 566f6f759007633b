"""``openstack reservation slot find``: windows in which a lease would fit (``POST /v1/leases/availability``)."""

from cliff import columns
from osc_lib.command import command

from climate_osc import reservations

COLUMNS = ('start_date', 'end_date', 'reservations')


class ReservationsColumn(columns.FormattableColumn):
    """What each reservation would get: one line per reservation in tables, the API's list in JSON/YAML."""

    def human_readable(self):
        return '\n'.join(_describe(reservation) for reservation in self._value)

    def machine_readable(self):
        return self._value


def _describe(reservation):
    text = '%s: %s' % (reservation.get('resource_type'), reservation.get('count'))
    names = [_host(host) for host in reservation.get('hosts') or []]
    names += reservation.get('floatingips') or []
    names += [reservation['pool']] if reservation.get('pool') else []
    return '%s (%s)' % (text, ', '.join(str(name) for name in names)) if names else text


def _host(host):
    # Instance reservations say how many of their instances each host would take.
    name = str(host.get('hypervisor_hostname'))
    return '%s: %s' % (name, host['instances']) if host.get('instances') is not None else name


class FindSlots(command.Lister):
    """Find the earliest windows in which a lease with these reservations would fit (Climate extension).

    Each window was checked with the same rules as a lease create, so creating the lease at it succeeds unless
    another lease takes it first. Nothing is reserved.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--reservation', metavar='<key=value>', action='append', dest='reservations', required=True,
            help='A reservation of the lease, as for "openstack reservation lease create", e.g. '
                 'resource_type=physical:host,min=2,max=2,resource_properties=\'["==", "$gpu", "true"]\'. '
                 'Repeat for a lease with several reservations.')
        parser.add_argument(
            '--duration', metavar='<duration>', required=True,
            help='Length of the lease: seconds, or with a unit (90m, 6h, 2d).')
        parser.add_argument(
            '--not-before', metavar='<date>',
            help='Earliest start, "YYYY-MM-DD HH:MM" UTC (default: now).')
        parser.add_argument(
            '--not-after', metavar='<date>',
            help='Latest end, "YYYY-MM-DD HH:MM" UTC (default: the server\'s longest horizon).')
        parser.add_argument(
            '--limit', metavar='<count>', type=int,
            help='Most windows to list (default 10).')
        return parser

    def take_action(self, parsed_args):
        body = {
            'reservations': [reservations.parse_reservation(text) for text in parsed_args.reservations],
            'duration': int(parsed_args.duration) if parsed_args.duration.isdigit() else parsed_args.duration,
        }
        for key in ('not_before', 'not_after', 'limit'):
            if getattr(parsed_args, key) is not None:
                body[key] = getattr(parsed_args, key)
        slots = self.app.client_manager.climate.find_slots(body)
        return COLUMNS, [
            (slot['start_date'], slot['end_date'], ReservationsColumn(slot['reservations'])) for slot in slots]
