# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Nova scheduler filter for Climate reservations.

Climate (with ``[compute] driver = nova``) keeps every reservable compute host
in a "freepool" host aggregate and creates one host aggregate per reservation:

* physical:host -- at lease start the reserved hosts are moved from the
  freepool aggregate into the reservation's aggregate;
* virtual:instance -- the hosts are added to the reservation's aggregate and
  stay in the freepool too; Climate also creates a private flavor whose extra
  specs name the reservation.

A reservation aggregate is recognised by its metadata only (its name is never
looked at): ``climate:reservation_id`` holds the reservation id and
``climate:owner_project_id`` the id of the project that owns the reservation.
The optional ``climate:reservation_type`` (``physical:host`` or
``virtual:instance``) lets the filter refuse scheduler-hint-only requests on
the hosts of an instance reservation, which must be used through its flavor.

Decisions, for each host (``host_state.aggregates``):

1. A request naming a reservation -- by the scheduler hint ``reservation``
   and/or by the flavor extra spec ``climate:reservation`` -- passes only on a
   host that is in an aggregate of that reservation owned by the requesting
   project (``spec_obj.project_id``). With both, both must hold. A list-valued
   hint naming several reservations is satisfied by any one of them.
2. Any other request fails on hosts in the freepool aggregate or in any
   reservation aggregate, and passes on every other host.

Every key name, the hint name and the freepool aggregate name are options of
the ``[climate]`` group of nova.conf (see ``CLIMATE_OPTS``).

Load it with::

    [filter_scheduler]
    available_filters = nova.scheduler.filters.all_filters
    available_filters = climate_nova_filter.ClimateFilter
    enabled_filters = ...,ClimateFilter
"""

from oslo_config import cfg
from oslo_log import log as logging

import nova.conf
from nova.scheduler import filters

LOG = logging.getLogger(__name__)

CONF = nova.conf.CONF

INSTANCE_RESERVATION_TYPE = 'virtual:instance'

climate_group = cfg.OptGroup(
    name='climate',
    title='Climate reservation filter options',
    help='Options of the ClimateFilter scheduler filter, which keeps the '
         'hosts that Climate manages for reservations apart from '
         'ordinary instances.')

CLIMATE_OPTS = [
    cfg.StrOpt('aggregate_freepool_name',
               default='freepool',
               help='Name of the host aggregate that holds every host '
                    'Climate may reserve. Instances that name no '
                    'reservation never pass on its hosts.'),
    cfg.StrOpt('reservation_key',
               default='climate:reservation_id',
               help='Aggregate metadata key whose value is the id of the '
                    'reservation the aggregate belongs to. Any aggregate '
                    'carrying this key is a reservation aggregate.'),
    cfg.StrOpt('owner_key',
               default='climate:owner_project_id',
               help='Aggregate metadata key whose value is the id of the '
                    'project that owns the reservation.'),
    cfg.StrOpt('reservation_type_key',
               default='climate:reservation_type',
               help='Optional aggregate metadata key giving the resource '
                    'type of the reservation. When its value is '
                    '"virtual:instance", the aggregate\'s hosts only take '
                    'instances whose flavor names the reservation (the '
                    'scheduler hint alone is not enough).'),
    cfg.StrOpt('flavor_reservation_key',
               default='climate:reservation',
               help='Flavor extra spec whose value is the id of the '
                    '(virtual:instance) reservation the flavor belongs to.'),
    cfg.StrOpt('scheduler_hint',
               default='reservation',
               help='Name of the scheduler hint by which a request names the '
                    'reservation to use.'),
]

CONF.register_group(climate_group)
CONF.register_opts(CLIMATE_OPTS, group=climate_group)


def list_opts():
    """Options of this module, for oslo-config-generator."""
    return [(climate_group, CLIMATE_OPTS)]


def _values(raw):
    """Non-empty, stripped string values of a hint or extra spec."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple, set)):
        items = raw
    else:
        items = [raw]
    result = []
    for item in items:
        if item is None:
            continue
        text = str(item).strip()
        if text and text not in result:
            result.append(text)
    return result


class ClimateFilter(filters.BaseHostFilter):
    """Keep Climate's reservable hosts for the reservations that own them."""

    # Aggregates change between hosts, so the filter runs for every host.
    run_filter_once_per_request = False

    # A rebuild keeps the instance on its host: nothing to decide.
    RUN_ON_REBUILD = False

    # -- reading the request -------------------------------------------------

    @staticmethod
    def _hinted_reservations(spec_obj, opts):
        if ('scheduler_hints' not in spec_obj or
                spec_obj.scheduler_hints is None):
            return []
        return _values(spec_obj.scheduler_hints.get(opts.scheduler_hint))

    @staticmethod
    def _flavor_reservations(spec_obj, opts):
        if 'flavor' not in spec_obj or spec_obj.flavor is None:
            return []
        flavor = spec_obj.flavor
        if 'extra_specs' not in flavor or not flavor.extra_specs:
            return []
        return _values(flavor.extra_specs.get(opts.flavor_reservation_key))

    @staticmethod
    def _project_id(spec_obj):
        if 'project_id' not in spec_obj:
            return None
        return spec_obj.project_id

    # -- reading the host ----------------------------------------------------

    @staticmethod
    def _metadata(aggregate):
        metadata = getattr(aggregate, 'metadata', None)
        return metadata or {}

    def _reservation_aggregates(self, host_state, opts):
        """(reservation id, owner, type, name) per reservation aggregate."""
        found = []
        for aggregate in host_state.aggregates or []:
            metadata = self._metadata(aggregate)
            reservation_id = (metadata.get(opts.reservation_key) or '').strip()
            if not reservation_id:
                continue
            owner = (metadata.get(opts.owner_key) or '').strip() or None
            kind = (metadata.get(opts.reservation_type_key) or '').strip()
            found.append((reservation_id, owner, kind,
                          getattr(aggregate, 'name', None)))
        return found

    @staticmethod
    def _in_freepool(host_state, opts):
        return any(getattr(aggregate, 'name', None) ==
                   opts.aggregate_freepool_name
                   for aggregate in host_state.aggregates or [])

    # -- deciding ------------------------------------------------------------

    @staticmethod
    def _match(reserved, wanted, project_id, by_flavor):
        """Why the host serves none of ``wanted``, or None when one matches."""
        reasons = []
        for reservation_id in wanted:
            entries = [entry for entry in reserved
                       if entry[0] == reservation_id]
            if not entries:
                reasons.append('the host is in no aggregate of '
                               'reservation %s' % reservation_id)
                continue
            for _rid, owner, kind, name in entries:
                if owner is None:
                    reasons.append('aggregate %s of reservation %s names no '
                                   'owner project' % (name, reservation_id))
                elif owner != project_id:
                    reasons.append('reservation %s (aggregate %s) belongs to '
                                   'project %s, not to project %s' %
                                   (reservation_id, name, owner, project_id))
                elif kind == INSTANCE_RESERVATION_TYPE and not by_flavor:
                    reasons.append('reservation %s (aggregate %s) is an '
                                   'instance reservation: it must be used '
                                   'through its flavor' %
                                   (reservation_id, name))
                else:
                    return None
        return '; '.join(reasons)

    def host_passes(self, host_state, spec_obj):
        opts = CONF.climate
        project_id = self._project_id(spec_obj)
        hinted = self._hinted_reservations(spec_obj, opts)
        by_flavor = self._flavor_reservations(spec_obj, opts)
        reserved = self._reservation_aggregates(host_state, opts)

        if hinted or by_flavor:
            if hinted:
                # The flavor's reservation, if any, vouches for the hint too.
                reason = self._match(reserved, hinted, project_id,
                                     by_flavor=bool(set(hinted) &
                                                    set(by_flavor)))
                if reason is not None:
                    LOG.debug('ClimateFilter: %(host)s fails: the request '
                              'hints reservation %(ids)s but %(reason)s',
                              {'host': host_state, 'ids': ', '.join(hinted),
                               'reason': reason})
                    return False
            if by_flavor:
                reason = self._match(reserved, by_flavor, project_id,
                                     by_flavor=True)
                if reason is not None:
                    LOG.debug('ClimateFilter: %(host)s fails: the flavor '
                              'names reservation %(ids)s but %(reason)s',
                              {'host': host_state,
                               'ids': ', '.join(by_flavor),
                               'reason': reason})
                    return False
            LOG.debug('ClimateFilter: %(host)s passes: it serves reservation '
                      '%(ids)s of project %(project)s',
                      {'host': host_state,
                       'ids': ', '.join(hinted or by_flavor),
                       'project': project_id})
            return True

        if reserved:
            LOG.debug('ClimateFilter: %(host)s fails: it is reserved '
                      '(reservation %(ids)s) and the request names no '
                      'reservation',
                      {'host': host_state,
                       'ids': ', '.join(sorted({r[0] for r in reserved}))})
            return False
        if self._in_freepool(host_state, opts):
            LOG.debug('ClimateFilter: %(host)s fails: it is in the freepool '
                      'aggregate %(pool)s and the request names no '
                      'reservation',
                      {'host': host_state,
                       'pool': opts.aggregate_freepool_name})
            return False
        LOG.debug('ClimateFilter: %(host)s passes: it is in no Climate '
                  'aggregate and the request names no reservation',
                  {'host': host_state})
        return True
