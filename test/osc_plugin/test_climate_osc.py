"""Unit tests of the Climate OpenStackClient plugin's own logic (src/osc_plugin), with the system Python and
Debian's osc-lib: how ``--reservation`` values become request bodies, and how found slots read in a table.
The commands themselves run through the real ``openstack`` CLI in test/compat/osc-plugin.test.ts.

From the repository root: ``/usr/bin/python3 -m unittest discover -s test/osc_plugin -v``
"""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'osc_plugin'))

from osc_lib import exceptions  # noqa: E402

from climate_osc.reservations import parse_reservation  # noqa: E402
from climate_osc.v1.quota import limit_value, quota_row  # noqa: E402
from climate_osc.v1.slots import ReservationsColumn  # noqa: E402


class ParseReservationTest(unittest.TestCase):
    def test_host_reservation_with_json_filters_holding_commas(self):
        text = ('resource_type=physical:host,min=2,max=2,hypervisor_properties=[">=", "$vcpus", "16"],'
                'resource_properties=["and", ["==", "$gpu", "true"], ["==", "$rack", "r1"]]')
        self.assertEqual(parse_reservation(text), {
            'resource_type': 'physical:host', 'min': 2, 'max': 2,
            'hypervisor_properties': '[">=", "$vcpus", "16"]',
            'resource_properties': '["and", ["==", "$gpu", "true"], ["==", "$rack", "r1"]]',
        })

    def test_keys_in_any_order_and_empty_values(self):
        self.assertEqual(parse_reservation('min=1,resource_type=physical:host,max=3,resource_properties='), {
            'resource_type': 'physical:host', 'min': 1, 'max': 3, 'resource_properties': ''})

    def test_instance_and_floating_ip_reservations(self):
        self.assertEqual(
            parse_reservation('resource_type=virtual:instance,amount=4,vcpus=2,memory_mb=2048,disk_gb=20,affinity=False'),
            {'resource_type': 'virtual:instance', 'amount': 4, 'vcpus': 2, 'memory_mb': 2048, 'disk_gb': 20,
             'affinity': 'False'})
        self.assertEqual(
            parse_reservation('resource_type=virtual:floatingip,network_id=net-1,amount=2,'
                              'required_floatingips=["172.24.4.10"]'),
            {'resource_type': 'virtual:floatingip', 'network_id': 'net-1', 'amount': 2,
             'required_floatingips': ['172.24.4.10']})

    def test_other_resource_types_take_any_key(self):
        self.assertEqual(parse_reservation('resource_type=virtual:volume,size_gb=100,pool=fast'), {
            'resource_type': 'virtual:volume', 'size_gb': 100, 'pool': 'fast'})

    def test_refuses_what_lease_create_refuses(self):
        for text in ('resource_type=physical:host,min=1,min=2',  # a key twice
                     'resource_type=physical:host,colour=blue',  # not a key of physical:host
                     'min=1,max=1',                              # no resource type
                     'resource_type=custom:thing,oops',          # not key=value
                     'resource_type=virtual:floatingip,required_floatingips=[oops'):
            with self.subTest(text=text), self.assertRaises(exceptions.CommandError) as raised:
                parse_reservation(text)
            self.assertIn("Invalid reservation argument '%s'" % text, str(raised.exception))


class ReservationsColumnTest(unittest.TestCase):
    def test_one_line_per_reservation_with_what_it_would_get(self):
        column = ReservationsColumn([
            {'resource_type': 'physical:host', 'count': 2,
             'hosts': [{'id': '1', 'hypervisor_hostname': 'gpu-1'}, {'id': '2', 'hypervisor_hostname': 'gpu-2'}]},
            {'resource_type': 'virtual:instance', 'count': 4},
            {'resource_type': 'virtual:instance', 'count': 3, 'hosts': [
                {'id': '3', 'hypervisor_hostname': 'cpu-1', 'instances': 2},
                {'id': '4', 'hypervisor_hostname': 'cpu-2', 'instances': 1}]},
            {'resource_type': 'virtual:floatingip', 'count': 1, 'floatingips': ['172.24.4.10']},
            {'resource_type': 'virtual:volume', 'count': 1, 'pool': 'fast'},
        ])
        self.assertEqual(column.human_readable(),
                         'physical:host: 2 (gpu-1, gpu-2)\nvirtual:instance: 4\n'
                         'virtual:instance: 3 (cpu-1: 2, cpu-2: 1)\nvirtual:floatingip: 1 (172.24.4.10)\n'
                         'virtual:volume: 1 (fast)')
        self.assertEqual(column.machine_readable()[1], {'resource_type': 'virtual:instance', 'count': 4})


class QuotaTest(unittest.TestCase):
    def test_limit_values(self):
        self.assertEqual([limit_value('0'), limit_value('-1'), limit_value('3600'), limit_value('default')], [0, -1, 3600, None])
        for text in ('-2', '1.5', 'lots', ''):
            with self.subTest(text=text), self.assertRaises(argparse.ArgumentTypeError):
                limit_value(text)

    def test_row_names_the_project_limits(self):
        columns, values = quota_row({
            'project_id': 'p1', 'hosts': 2, 'host_hours': -1, 'instance_slots': -1, 'leases': 4, 'max_lease_duration': -1,
            'max_extension': -1, 'host_hours_period': 2592000, 'project_limits': ['hosts', 'leases']})
        self.assertEqual(dict(zip(columns, values))['project_limits'], 'hosts, leases')
        self.assertEqual(columns[0], 'project_id')


if __name__ == '__main__':
    unittest.main()
