/** The policy engine: the oslo.policy check language, Climate's default rules, policy.yaml overrides. */
export { Policy, PolicyFileError, credentialsOf, type PolicyOptions, type PolicyTarget } from './enforcer';
export { parseCheck, evaluate, formatCheck, PolicySyntaxError, type Check, type CheckInput } from './checks';
export { DEFAULT_RULES, type RuleDefault } from './defaults';
export { BLAZAR_RULE_ALIASES, BLAZAR_BASE_RULES } from './blazar';
export { renderPolicySample, POLICY_SAMPLE_PATH } from './sample';
