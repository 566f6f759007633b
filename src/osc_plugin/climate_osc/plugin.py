"""The OpenStackClient plugin interface (module attributes and functions OSC looks up by name).

The client is built exactly as python-blazarclient's (blazarclient/osc/plugin.py): on OSC's Keystone session,
with the endpoint of service type ``reservation`` (``--os-endpoint`` when given, else the catalog's, for the
chosen interface and region). Its API name is ``climate`` so that it does not replace blazarclient's
``reservation`` client; its commands are still ``openstack reservation ...``.
"""

import logging

from osc_lib import utils

LOG = logging.getLogger(__name__)

# Required by the OSC plugin interface
API_NAME = 'climate'
API_VERSION_OPTION = 'os_climate_api_version'
API_VERSIONS = {
    '1': 'climate_osc.client.ReservationClient',
}
DEFAULT_API_VERSION = '1'

# The Keystone catalog's service type of Blazar, and so of Climate.
SERVICE_TYPE = 'reservation'


# Required by the OSC plugin interface
def make_client(instance):
    """Returns the client of Climate's extensions for OSC's ClientManager ``instance``."""
    client_class = utils.get_client_class(API_NAME, instance._api_version[API_NAME], API_VERSIONS)
    endpoint = instance.get_endpoint_for_service_type(
        SERVICE_TYPE, interface=instance.interface, region_name=instance._region_name)
    LOG.debug('Instantiating %s for endpoint %s', client_class, endpoint)
    return client_class(session=instance.session, endpoint=endpoint)


# Required by the OSC plugin interface
def build_option_parser(parser):
    """Adds no global option: the API version is 1, the only one."""
    return parser
