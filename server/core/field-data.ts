import { parseDurationSeconds } from './duration.js';
import { invalidRequest } from './vault-error.js';

export type FieldType = 'string' | 'int' | 'bool' | 'duration' | 'map' | 'string-list' | 'comma-list' | 'raw' | 'name';

export interface FieldSchema {
  readonly type: FieldType;
  readonly default?: unknown;
  readonly required?: boolean;
  readonly description?: string;
}

export type FieldSchemas = Readonly<Record<string, FieldSchema>>;

/**
 * Typed access to a request's fields (body and path captures), checked against the path's
 * schema. A value of the wrong type is a 400 naming the field, never a 500.
 */
export class FieldData {
  constructor(
    private readonly schemas: FieldSchemas,
    private readonly raw: Readonly<Record<string, unknown>>,
  ) {}

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** Names present in the request that the schema does not know. */
  unknownFields(): string[] {
    return Object.keys(this.raw).filter((k) => !(k in this.schemas));
  }

  string(name: string): string {
    return this.get(name) as string;
  }
  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }
  int(name: string): number {
    return this.get(name) as number;
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  seconds(name: string): number {
    return this.get(name) as number;
  }
  map(name: string): Record<string, unknown> {
    return this.get(name) as Record<string, unknown>;
  }
  list(name: string): string[] {
    return this.get(name) as string[];
  }

  /** Validates every known field now, so a bad request fails before any side effect. */
  validate(): void {
    for (const name of Object.keys(this.schemas)) this.get(name);
  }

  get(name: string): unknown {
    const schema = this.schemas[name];
    if (schema === undefined) throw new Error(`field "${name}" is not in the path schema`);
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (schema.required) throw invalidRequest(`missing required field "${name}"`);
      return schema.default ?? zeroValue(schema.type);
    }
    return coerce(name, schema.type, value);
  }
}

function zeroValue(type: FieldType): unknown {
  switch (type) {
    case 'string':
    case 'name':
      return '';
    case 'int':
    case 'duration':
      return 0;
    case 'bool':
      return false;
    case 'map':
      return {};
    case 'string-list':
    case 'comma-list':
      return [];
    case 'raw':
      return undefined;
  }
}

function coerce(name: string, type: FieldType, value: unknown): unknown {
  const bad = (): never => {
    throw invalidRequest(`invalid value for field "${name}": expected ${type}`);
  };
  switch (type) {
    case 'string':
    case 'name':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return bad();
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
      return bad();
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 1) return true;
      if (value === 'false' || value === '0' || value === 0 || value === '') return false;
      return bad();
    case 'duration':
      return parseDurationSeconds(value, name);
    case 'map':
      if (typeof value === 'object' && !Array.isArray(value)) return value;
      if (typeof value === 'string' && value.trim().startsWith('{')) {
        try {
          const parsed: unknown = JSON.parse(value);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
        } catch {
          /* fall through to the typed error */
        }
      }
      return bad();
    case 'string-list':
    case 'comma-list':
      if (Array.isArray(value)) {
        if (!value.every((v) => typeof v === 'string' || typeof v === 'number')) return bad();
        return value.map(String);
      }
      if (typeof value === 'string')
        return value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      return bad();
    case 'raw':
      return value;
  }
}
