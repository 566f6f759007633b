"""HTTP calls to Climate's v1 extensions over a keystoneauth1 session."""

from urllib import parse

from keystoneauth1 import adapter
from osc_lib import exceptions

USER_AGENT = 'climate-osc-plugin'


class ReservationApiError(exceptions.CommandError):
    """Climate refused a request; carries the HTTP status and Climate's ``error_message``."""

    def __init__(self, status, message):
        super().__init__('Climate answered %s: %s' % (status, message))
        self.status = status


class ReservationClient:
    """Climate's extension endpoints (paths relative to the ``.../v1`` endpoint).

    :param session: keystoneauth1 session (OSC's: it adds the token, or nothing with ``--os-auth-type none``).
    :param endpoint: the ``reservation`` endpoint URL, ending in ``/v1``.
    """

    def __init__(self, session, endpoint):
        self._http = adapter.Adapter(
            session=session, service_type='reservation', endpoint_override=endpoint, user_agent=USER_AGENT)

    def find_slots(self, body):
        """``POST /leases/availability``: the ``slots`` answered for an availability request body."""
        return self._request('POST', '/leases/availability', json=body)['slots']

    def host_capacity(self, params):
        """``GET /os-hosts/capacity``: the ``capacity`` document (its ``steps`` list the counts)."""
        return self._request('GET', '/os-hosts/capacity', params=params)['capacity']

    def usage(self, params):
        """``GET /usage``: the usage report (``usage`` lists one entry per project and resource type)."""
        return self._request('GET', '/usage', params=params)

    def quotas(self):
        """``GET /quotas``: the ``defaults`` and the ``quotas`` of projects with limits of their own."""
        return self._request('GET', '/quotas')

    def quota(self, project_id):
        """``GET /quotas/{project_id}``: the ``quota`` in effect for the project."""
        return self._request('GET', '/quotas/%s' % parse.quote(project_id, safe=''))['quota']

    def set_quota(self, project_id, limits):
        """``PUT /quotas/{project_id}``: sets the limits given (None: back to the default); the new ``quota``."""
        return self._request('PUT', '/quotas/%s' % parse.quote(project_id, safe=''), json=limits)['quota']

    def _request(self, method, path, params=None, json=None):
        query = {key: value for key, value in (params or {}).items() if value is not None}
        response = self._http.request(
            path, method, params=query, json=json, raise_exc=False, headers={'Accept': 'application/json'})
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get('error_message', body) if isinstance(body, dict) else response.text
            raise ReservationApiError(response.status_code, message)
        if not isinstance(body, dict):
            raise ReservationApiError(response.status_code, 'the answer is not a JSON object: %r' % response.text[:200])
        return body
