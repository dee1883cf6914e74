import type { AttributePath, Diagnostic } from '../framework/diagnostics.js';
import type * as tfplugin6 from './tfplugin6-messages.js';

/** A framework diagnostic as a tfplugin6 `Diagnostic` message; the attribute path only when there is one. */
export function diagnosticToMessage(d: Diagnostic): tfplugin6.Diagnostic {
  return {
    severity: d.severity === 'error' ? 'ERROR' : 'WARNING',
    summary: d.summary,
    detail: d.detail,
    ...(d.path !== undefined && d.path.length > 0 ? { attribute: pathToMessage(d.path) } : {}),
  };
}

/** An attribute path as a tfplugin6 `AttributePath` message. */
export function pathToMessage(path: AttributePath): tfplugin6.AttributePath {
  return {
    steps: path.map((step) =>
      'attribute' in step
        ? { attribute_name: step.attribute }
        : 'elementKey' in step
          ? { element_key_string: step.elementKey }
          : { element_key_int: step.elementIndex },
    ),
  };
}
