import { Type } from '@sinclair/typebox';
import { BaseEnv, ConfigError, loadConfig, parseBrokers, renamedVariableWarnings } from '../../src/config';

const ServiceEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3001 }),
  GRPC_PORT: Type.Integer({ default: 50051 }),
  FEATURE_ON: Type.Boolean({ default: false }),
});

const valid = {
  DATABASE_URL: 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test',
  JWT_SECRET: '0123456789abcdef',
};

describe('loadConfig', () => {
  it('coerces strings to the declared types and applies defaults', () => {
    const config = loadConfig(ServiceEnv, { ...valid, HTTP_PORT: '4000', FEATURE_ON: 'true', KAFKA_TOPIC_PREFIX: 't-1.' });
    expect(config.HTTP_PORT).toBe(4000);
    expect(config.GRPC_PORT).toBe(50051);
    expect(config.FEATURE_ON).toBe(true);
    expect(config.NODE_ENV).toBe('development');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(config.KAFKA_TOPIC_PREFIX).toBe('t-1.');
    expect(config.JWT_ISSUER).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('ignores variables the schema does not declare', () => {
    const config = loadConfig(ServiceEnv, { ...valid, PATH: '/usr/bin' }) as Record<string, unknown>;
    expect(config.PATH).toBeUndefined();
  });

  it('names every missing or bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(ServiceEnv, { HTTP_PORT: 'eighty', JWT_SECRET: 'short', LOG_LEVEL: 'loud', FEATURE_ON: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^invalid environment: /);
    expect(message).toContain('DATABASE_URL is required');
    expect(message).toContain('HTTP_PORT must be an integer');
    expect(message).toContain('JWT_SECRET must be at least 16 characters');
    expect(message).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
    expect(message).toContain('FEATURE_ON must be true or false');
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it('treats an empty value as unset, so a blank required variable is reported as required', () => {
    expect(() => loadConfig(ServiceEnv, { ...valid, DATABASE_URL: '' })).toThrow('DATABASE_URL is required');
  });

  it('keeps an explicitly empty topic prefix', () => {
    expect(loadConfig(ServiceEnv, { ...valid, KAFKA_TOPIC_PREFIX: '' }).KAFKA_TOPIC_PREFIX).toBe('');
  });
});

describe("DATABASE_POOL_SIZE (and inventory's old DB_POOL_SIZE)", () => {
  const resolve = (env: Record<string, string>) => ({
    size: loadConfig(ServiceEnv, { ...valid, ...env }).DATABASE_POOL_SIZE,
    warnings: renamedVariableWarnings({ ...valid, ...env }),
  });

  it('is 10 when neither is set', () => {
    expect(resolve({})).toEqual({ size: 10, warnings: [] });
  });

  it('takes an explicit value', () => {
    expect(resolve({ DATABASE_POOL_SIZE: '25' })).toEqual({ size: 25, warnings: [] });
  });

  it('reads the old name alone, with a warning naming the new one', () => {
    const { size, warnings } = resolve({ DB_POOL_SIZE: '7' });
    expect(size).toBe(7);
    expect(warnings).toEqual(['DB_POOL_SIZE is deprecated: its value is used as DATABASE_POOL_SIZE; set DATABASE_POOL_SIZE instead']);
  });

  it('ignores the old name when both are set, and says so', () => {
    const { size, warnings } = resolve({ DATABASE_POOL_SIZE: '12', DB_POOL_SIZE: '7' });
    expect(size).toBe(12);
    expect(warnings).toEqual(['DB_POOL_SIZE is ignored: DATABASE_POOL_SIZE is set (DB_POOL_SIZE is its old name; remove it)']);
  });

  it('treats an empty value as unset, for either name', () => {
    expect(resolve({ DATABASE_POOL_SIZE: '', DB_POOL_SIZE: '7' }).size).toBe(7);
    expect(resolve({ DB_POOL_SIZE: '' })).toEqual({ size: 10, warnings: [] });
  });

  it('reports a bad value under the name it was set as', () => {
    expect(() => loadConfig(ServiceEnv, { ...valid, DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() => loadConfig(ServiceEnv, { ...valid, DB_POOL_SIZE: 'ten' })).toThrow('DB_POOL_SIZE must be an integer');
  });
});

describe('parseBrokers', () => {
  it('splits and trims a comma-separated broker list', () => {
    expect(parseBrokers(' a:9092, b:9092 ,')).toEqual(['a:9092', 'b:9092']);
  });
});
