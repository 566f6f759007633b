"""Tests of the Climate Nova scheduler filter against the real Nova code.

Run from the repository root with the system Python, which must be able to
import Nova (tools/ensure-python-nova.sh installs Debian's python3-nova):

    /usr/bin/python3 -m unittest discover -s test/nova_filter -v

Each case of decisions.json becomes one test method. The module prints
"climate-nova-filter: N decision cases run" on stdout when done, which the
jest wrapper (nova-filter.test.ts) compares with the number of cases.
"""

import json
import logging
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILTER_DIR = os.path.join(ROOT, 'src', 'nova_filter')
DECISIONS = os.path.join(HERE, 'decisions.json')

# The filter is a top-level module, as Nova loads it from available_filters.
if FILTER_DIR not in sys.path:
    sys.path.insert(0, FILTER_DIR)

from oslo_utils.fixture import uuidsentinel  # noqa: E402
from oslo_versionedobjects import base as ovo_base  # noqa: E402

import nova.conf  # noqa: E402
from nova import objects  # noqa: E402

objects.register_all()

from nova.scheduler import filters  # noqa: E402
from nova.scheduler import host_manager  # noqa: E402

import climate_nova_filter  # noqa: E402

CONF = nova.conf.CONF
HOST = 'compute-1'
LOGGER_NAME = climate_nova_filter.__name__

with open(DECISIONS, encoding='utf-8') as decisions_file:
    CASES = json.load(decisions_file)['cases']

_RUN = {'cases': 0}


def make_host_state(host, aggregate_specs):
    state = host_manager.HostState(host, host + '-node', uuidsentinel.cell1)
    aggregates = []
    for index, spec in enumerate(aggregate_specs, start=1):
        hosts = list(spec.get('hosts', []))
        if host not in hosts:
            hosts.append(host)
        aggregates.append(objects.Aggregate(
            id=index, uuid=getattr(uuidsentinel, 'agg%d' % index),
            name=spec['name'], hosts=hosts,
            metadata=dict(spec.get('metadata', {}))))
    state.aggregates = aggregates
    return state


def make_request_spec(request):
    flavor = objects.Flavor(
        id=1, flavorid='f1', name='m1.test', memory_mb=512, vcpus=1,
        root_gb=1, ephemeral_gb=0, swap=0,
        extra_specs=dict(request.get('flavor_extra_specs', {})))
    spec = objects.RequestSpec(
        project_id=request.get('project_id'), user_id='u1',
        flavor=flavor, num_instances=1,
        instance_uuid=uuidsentinel.instance)
    hints = request.get('hints')
    if request.get('raw_hints'):
        # A caller handing the hints over unwrapped (a bare string). The
        # object field would refuse the value, so store it as it is.
        setattr(spec, ovo_base._get_attrname('scheduler_hints'), dict(hints))
    else:
        # Nova's own conversion of API hints: a string becomes a 1-item list.
        spec._from_hints(hints or {})
    return spec


class ConfigMixin(object):

    def apply_config(self, overrides):
        for name, value in overrides.items():
            CONF.set_override(name, value, group='climate')
            self.addCleanup(CONF.clear_override, name, group='climate')


class DecisionTableTest(ConfigMixin, unittest.TestCase):
    """One generated test per case of decisions.json."""

    maxDiff = None

    def run_case(self, case):
        _RUN['cases'] += 1
        self.apply_config(case.get('config', {}))
        host_state = make_host_state(HOST, case['aggregates'])
        spec = make_request_spec(case['request'])
        filt = climate_nova_filter.ClimateFilter()
        expected = case['expected'] == 'pass'

        # The way the FilterScheduler runs it (rebuild check included).
        passed = list(filt.filter_all([host_state], spec)) == [host_state]
        self.assertEqual(expected, passed,
                         '%s: %s' % (case['name'], case.get('why', '')))

        # host_passes itself, with the reason logged at debug.
        direct_expected = case.get('host_passes', case['expected']) == 'pass'
        with self.assertLogs(LOGGER_NAME, level=logging.DEBUG) as logs:
            direct = filt.host_passes(host_state, spec)
        self.assertEqual(direct_expected, direct,
                         '%s (host_passes): %s' % (case['name'],
                                                   case.get('why', '')))
        verdict = 'passes' if direct else 'fails'
        self.assertTrue(
            any(re.search(r'ClimateFilter: \(%s, .* %s: \S' % (
                re.escape(HOST), verdict), line) for line in logs.output),
            'no debug line giving the reason: %r' % logs.output)


def _make_test(case):
    def test(self):
        self.run_case(case)
    test.__doc__ = '%s: %s' % (case['name'], case.get('why', ''))
    return test


for _number, _case in enumerate(CASES, start=1):
    setattr(DecisionTableTest,
            'test_decision_%02d_%s' % (_number, _case['name']),
            _make_test(_case))


class LoadingAndOptionsTest(ConfigMixin, unittest.TestCase):

    def test_loaded_like_available_filters_names_it(self):
        handler = filters.HostFilterHandler()
        classes = handler.get_matching_classes(
            ['climate_nova_filter.ClimateFilter'])
        self.assertEqual([climate_nova_filter.ClimateFilter], classes)
        self.assertTrue(issubclass(classes[0], filters.BaseHostFilter))

    def test_options_registered_under_climate_group(self):
        self.assertEqual('freepool', CONF.climate.aggregate_freepool_name)
        self.assertEqual('climate:reservation_id',
                         CONF.climate.reservation_key)
        self.assertEqual('climate:owner_project_id', CONF.climate.owner_key)
        self.assertEqual('climate:reservation_type',
                         CONF.climate.reservation_type_key)
        self.assertEqual('climate:reservation',
                         CONF.climate.flavor_reservation_key)
        self.assertEqual('reservation', CONF.climate.scheduler_hint)
        [(group, opts)] = climate_nova_filter.list_opts()
        self.assertEqual('climate', group.name)
        self.assertEqual(6, len(opts))

    def test_options_read_from_nova_conf(self):
        import tempfile
        with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                         delete=False) as conf_file:
            conf_file.write('[climate]\n'
                            'aggregate_freepool_name = spare\n'
                            'owner_key = site:owner\n')
        self.addCleanup(os.unlink, conf_file.name)
        CONF([], project='nova', default_config_files=[conf_file.name],
             default_config_dirs=[])
        self.addCleanup(CONF.reset)
        self.addCleanup(CONF.clear)
        self.assertEqual('spare', CONF.climate.aggregate_freepool_name)
        self.assertEqual('site:owner', CONF.climate.owner_key)

    def test_filter_handler_over_several_hosts(self):
        """What HostManager.get_filtered_hosts does with the filter."""
        plain = make_host_state('plain', [])
        free = make_host_state('free', [{'name': 'freepool'}])
        mine = make_host_state('mine', [{'name': 'climate-r1', 'metadata': {
            'climate:reservation_id': 'r1',
            'climate:owner_project_id': 'p1'}}])
        theirs = make_host_state('theirs', [{
            'name': 'climate-r2', 'metadata': {
                'climate:reservation_id': 'r2',
                'climate:owner_project_id': 'p2'}}])
        shared = make_host_state('shared', [
            {'name': 'freepool'},
            {'name': 'climate-r5', 'metadata': {
                'climate:reservation_id': 'r5',
                'climate:owner_project_id': 'p1',
                'climate:reservation_type': 'virtual:instance'}}])
        hosts = [plain, free, mine, theirs, shared]
        handler = filters.HostFilterHandler()
        filter_classes = handler.get_matching_classes(
            ['climate_nova_filter.ClimateFilter'])
        filter_objs = [cls() for cls in filter_classes]

        def chosen(request):
            result = handler.get_filtered_objects(
                filter_objs, hosts, make_request_spec(request), 0)
            return sorted(h.host for h in result or [])

        self.assertEqual(['plain'], chosen({'project_id': 'p1'}))
        self.assertEqual(['mine'], chosen({
            'project_id': 'p1', 'hints': {'reservation': 'r1'}}))
        self.assertEqual([], chosen({
            'project_id': 'p2', 'hints': {'reservation': 'r1'}}))
        self.assertEqual(['theirs'], chosen({
            'project_id': 'p2', 'hints': {'reservation': ['r2']}}))
        self.assertEqual(['shared'], chosen({
            'project_id': 'p1',
            'flavor_extra_specs': {'climate:reservation': 'r5'}}))
        self.assertEqual([], chosen({
            'project_id': 'p1', 'hints': {'reservation': 'unknown'}}))


def tearDownModule():
    sys.stdout.write('climate-nova-filter: %d decision cases run\n'
                     % _RUN['cases'])
    sys.stdout.flush()


if __name__ == '__main__':
    unittest.main()
