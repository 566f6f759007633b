"""Creates what the mini cloud needs in Keystone, in one process (each `openstack` CLI call costs seconds).

usage: /usr/bin/python3 keystone_setup.py --keystone URL --region R --service-password P
           [--endpoint TYPE=NAME=URL ...] [--reservation-url URL] [--reservation-only]

Needs `keystone-manage bootstrap` done (user admin, project admin, role admin, the identity endpoints).
Find-or-create throughout, so it can run again:
- project service with a user per service (nova, placement, glance, heat, and climate for Climate), each with
  role admin in it, and the given endpoints (public, internal and admin interfaces);
- projects demo and alt_demo with users demo and alt_demo (password = user name), role member (demo also
  heat_stack_owner), for tests that need an owner and another project;
- Heat's stack user domain "heat" with its admin heat_domain_admin (what heat-keystone-setup-domain does);
- with --reservation-url, a "reservation" service (Climate) whose endpoints point at that URL, replacing
  the URL of existing ones. Heat lists OS::Blazar::* resource types only when the catalog has it.
--reservation-only does the last step alone (quick, for a cloud already set up).
"""
import argparse

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

SERVICE_USERS = ('nova', 'placement', 'glance', 'heat', 'neutron', 'cinder', 'climate')
INTERFACES = ('public', 'internal', 'admin')


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument('--keystone', required=True)
    parser.add_argument('--region', required=True)
    parser.add_argument('--admin-password', required=True)
    parser.add_argument('--service-password', required=True)
    parser.add_argument('--endpoint', action='append', default=[], help='TYPE=NAME=URL')
    parser.add_argument('--reservation-url', default='')
    parser.add_argument('--reservation-only', action='store_true')
    return parser.parse_args()


class Setup:
    def __init__(self, ks, region):
        self.ks = ks
        self.region = region

    @staticmethod
    def first(items):
        return items[0] if items else None

    def role(self, name):
        return self.first(self.ks.roles.list(name=name)) or self.ks.roles.create(name)

    def project(self, name, domain='default'):
        return self.first(self.ks.projects.list(name=name, domain=domain)) or self.ks.projects.create(name, domain)

    def user(self, name, password, project=None, domain='default'):
        return (self.first(self.ks.users.list(name=name, domain=domain))
                or self.ks.users.create(name, domain=domain, password=password, default_project=project))

    def service(self, stype, name, url):
        """The service of that type, with one endpoint per interface at `url` (existing ones moved there)."""
        svc = self.first(self.ks.services.list(type=stype)) or self.ks.services.create(name, stype)
        existing = {e.interface: e for e in self.ks.endpoints.list(service=svc)}
        for interface in INTERFACES:
            endpoint = existing.get(interface)
            if endpoint is None:
                self.ks.endpoints.create(svc, url, interface=interface, region=self.region)
            elif endpoint.url != url:
                self.ks.endpoints.update(endpoint, url=url)


def main():
    args = parse_args()
    auth = v3.Password(auth_url=args.keystone, username='admin', password=args.admin_password, project_name='admin',
                       user_domain_id='default', project_domain_id='default')
    setup = Setup(client.Client(session=session.Session(auth=auth)), args.region)
    if args.reservation_url:
        setup.service('reservation', 'climate', args.reservation_url)
    if args.reservation_only:
        return
    ks = setup.ks
    admin, member = setup.role('admin'), setup.role('member')
    setup.role('reader')
    stack_owner = setup.role('heat_stack_owner')
    setup.role('heat_stack_user')
    service = setup.project('service')
    for name in SERVICE_USERS:
        ks.roles.grant(admin, user=setup.user(name, args.service_password, service), project=service)
    # Nova sends a service token with its calls to Cinder: since CVE-2023-2088 Cinder lets only a service
    # (role "service") delete a volume attachment, so a detach needs it.
    ks.roles.grant(setup.role('service'), user=setup.user('nova', args.service_password, service), project=service)
    for spec in args.endpoint:
        stype, name, url = spec.split('=', 2)
        setup.service(stype, name, url)
    for name in ('demo', 'alt_demo'):
        project = setup.project(name)
        user = setup.user(name, name, project)
        ks.roles.grant(member, user=user, project=project)
        ks.roles.grant(stack_owner, user=user, project=project)
    heat_domain = setup.first(ks.domains.list(name='heat')) or ks.domains.create(
        'heat', description='Heat stack projects and users')
    ks.roles.grant(admin, user=setup.user('heat_domain_admin', args.service_password, domain=heat_domain),
                   domain=heat_domain)


if __name__ == '__main__':
    main()
