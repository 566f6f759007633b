import type { RuleDefault } from './defaults';

/**
 * Blazar's rule names (blazar/policies/leases.py, oshosts.py, floatingips.py) and the Climate rule guarding the
 * same API calls, so that an operator's Blazar policy.yaml applies unchanged. Blazar's defaults differ in places
 * (its floating IP list is open to project readers); an override in the file is taken as written.
 */
export const BLAZAR_RULE_ALIASES: Readonly<Record<string, string>> = {
  'blazar:leases:get': 'climate:leases:get',
  'blazar:leases:post': 'climate:leases:post',
  'blazar:leases:put': 'climate:leases:put',
  'blazar:leases:delete': 'climate:leases:delete',
  'blazar:oshosts:get': 'climate:oshosts:get',
  'blazar:oshosts:post': 'climate:oshosts:post',
  'blazar:oshosts:put': 'climate:oshosts:put',
  'blazar:oshosts:delete': 'climate:oshosts:delete',
  'blazar:oshosts:get_allocations': 'climate:oshosts:get_allocations',
  'blazar:oshosts:get_resource_properties': 'climate:oshosts:get_resource_properties',
  'blazar:oshosts:update_resource_properties': 'climate:oshosts:update_resource_properties',
  'blazar:floatingips:get': 'climate:floatingips:get',
  'blazar:floatingips:post': 'climate:floatingips:post',
  'blazar:floatingips:delete': 'climate:floatingips:delete',
};

/**
 * Blazar's base rules (blazar/policies/base.py) with Blazar's checks: a Blazar policy file's rules refer to them
 * (`rule:admin_or_owner`) without defining them. Climate's own rules do not use them. (Blazar's `admin`,
 * "is_admin:True or role:admin", is Climate's `admin`.)
 */
export const BLAZAR_BASE_RULES: readonly RuleDefault[] = [
  { name: 'admin_or_owner', check: 'rule:admin or project_id:%(project_id)s', description: "Blazar's rule for most non-admin APIs (deprecated there)." },
  { name: 'project_member_api', check: 'role:member and project_id:%(project_id)s', description: "Blazar's project member rule." },
  { name: 'project_reader_api', check: 'role:reader and project_id:%(project_id)s', description: "Blazar's project reader rule." },
  { name: 'project_member_or_admin', check: 'rule:project_member_api or rule:admin', description: "Blazar's default for lease changes." },
  { name: 'project_reader_or_admin', check: 'rule:project_reader_api or rule:admin', description: "Blazar's default for lease reads." },
];
