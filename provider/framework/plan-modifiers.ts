import type { PlanModifier, PlanModifierRequest } from './schema.js';
import { unknown, valuesEqual } from './values.js';

/** Changing the attribute after creation destroys and recreates the object. */
export function requiresReplace(): PlanModifier {
  return requiresReplaceIf(() => true, 'changing the value replaces the resource');
}

/** Like requiresReplace, but only when `condition` holds for a change. */
export function requiresReplaceIf(condition: (request: PlanModifierRequest) => boolean, description: string): PlanModifier {
  return {
    description,
    modify(request) {
      if (request.priorState === null || request.priorValue === undefined) return {};
      if (valuesEqual(request.plannedValue, request.priorValue)) return {};
      return condition(request) ? { requiresReplace: true } : {};
    },
  };
}

/** A computed value that does not change once set: plan the prior value instead of "known after apply". */
export function useStateForUnknown(): PlanModifier {
  return {
    description: 'the value does not change after creation',
    modify(request) {
      if (request.plannedValue !== unknown || request.priorValue === undefined || request.priorValue === null) return {};
      return { plannedValue: request.priorValue };
    },
  };
}
