"""Puts in the mini cloud what Climate and its tests expect: a tiny public image "fake-image" (8 bytes,
raw/bare), a public flavor "m1.tiny", the empty freepool aggregate "freepool" and the external network "public"
(flat, physnet "public", shared by nobody) with the subnet 172.24.4.0/24 (no DHCP; floating IPs from .10-.250).
Find-or-create.

usage: /usr/bin/python3 seed.py KEYSTONE_URL REGION ADMIN_PASSWORD
"""
import io
import sys
import time

import openstack

KEYSTONE, REGION, ADMIN_PASSWORD = sys.argv[1:4]
cloud = openstack.connect(auth_url=KEYSTONE, username='admin', password=ADMIN_PASSWORD, project_name='admin',
                          user_domain_name='Default', project_domain_name='Default', region_name=REGION)
if not cloud.image.find_image('fake-image'):
    cloud.create_image('fake-image', data=io.BytesIO(b'fakeimg\n'), disk_format='raw', container_format='bare',
                       visibility='public', wait=True)
if not cloud.compute.find_flavor('m1.tiny'):
    cloud.compute.create_flavor(name='m1.tiny', vcpus=1, ram=64, disk=1, is_public=True)
if not any(a.name == 'freepool' for a in cloud.compute.aggregates()):
    cloud.compute.create_aggregate(name='freepool')
if not cloud.network.find_network('public'):
    network = cloud.network.create_network(name='public', is_router_external=True, provider_network_type='flat',
                                           provider_physical_network='public')
    cloud.network.create_subnet(network_id=network.id, name='public-subnet', ip_version=4, cidr='172.24.4.0/24',
                                gateway_ip='172.24.4.1', is_dhcp_enabled=False,
                                allocation_pools=[{'start': '172.24.4.10', 'end': '172.24.4.250'}])
# Cinder's scheduler knows the pool once cinder-volume reported it (within its first minute): volumes can be made.
deadline = time.monotonic() + 180
while not cloud.block_storage.get('/scheduler-stats/get_pools').json().get('pools'):
    if time.monotonic() > deadline:
        sys.exit("Cinder's scheduler lists no pool after 3 minutes; see cinder-volume.log")
    time.sleep(1)
