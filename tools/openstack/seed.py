"""Puts in the mini cloud what Climate and its tests expect: a tiny public image "fake-image" (8 bytes,
raw/bare), a public flavor "m1.tiny" and the empty freepool aggregate "freepool". Find-or-create.

usage: /usr/bin/python3 seed.py KEYSTONE_URL REGION ADMIN_PASSWORD
"""
import io
import sys

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
