/** flavor:instance (Blazar's): instances of an existing Nova flavor, held as virtual:instance slots. */
export { FlavorInstancePlugin, FLAVOR_INSTANCE } from './plugin';
export { parseFlavorParams, updateFlavorParams, sizeOf, type FlavorInstanceParams, type SourceFlavor, type ProjectFlavorLookup } from './params';
export { novaFlavorLookup } from './nova';
export { traitRule, traitHostScope, placementTraitHosts, type TraitRule, type TraitProviderNames } from './traits';
