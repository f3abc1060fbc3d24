/**
 * Docker is not on this machine, so the production stack is checked the way compose would read
 * it: docker-compose.yml parsed as YAML (merge keys and all), `${...}` filled from .env.example,
 * and every hostmasterd service's environment run through the real `loadConfig`. Ports, roles,
 * volumes, health checks and restart policies are checked against what the daemon does; the
 * Dockerfile and .dockerignore against what the image must hold.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Config, type Environment, loadConfig, ROLES } from '../../src/config/index.ts';
import { OPS_PATHS } from '../../src/observability/index.ts';
import { ROOT } from './support/processes.ts';

const read = (name: string) => fs.readFileSync(path.join(ROOT, name), 'utf8');

/** KEY=VALUE lines, as compose reads a .env file (comments and blanks skipped, no quoting used). */
function readDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (unset or empty counts as missing). */
function interpolate(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g,
    (_all, name: string, op?: string, arg?: string) => {
      const found = vars[name];
      if (found !== undefined && found !== '') return found;
      if (op === ':?') throw new Error(`required variable ${name} is missing: ${arg}`);
      return op === ':-' ? (arg ?? '') : '';
    },
  );
}

function interpolateDeep(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars)]));
  }
  return value;
}

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const DOT_ENV = readDotEnv(read('.env.example'));
const RAW = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const COMPOSE = interpolateDeep(RAW, DOT_ENV) as ComposeFile;
const DAEMONS = Object.entries(COMPOSE.services).filter(([, s]) => s.build === '.');
const LONG_RUNNING = Object.entries(COMPOSE.services).filter(([name]) => name !== 'migrate');

/** Every variable the config module reads (env['X'], readPort(env, 'X'), readUrl(env, 'X'), ...). */
const CONFIG_VARIABLES = new Set(
  [...read('src/config/config.ts').matchAll(/env(?:\['|, ')([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!),
);

function envOf(service: Service): Environment {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

function rolesOf(service: Service): string[] {
  const command = service.command ?? [];
  return command.flatMap((arg, i) => (arg === '--role' && command[i + 1] ? [command[i + 1]!] : []));
}

function configOf(service: Service): Config {
  return loadConfig(envOf(service), { roles: rolesOf(service) }, '/app');
}

/** The container side of `[host_ip:]host_port:container_port`. */
function containerPorts(service: Service): number[] {
  return (service.ports ?? []).map((p) => Number(String(p).split(':').at(-1)));
}

describe('docker-compose.yml', () => {
  it('has the stores, the one-shot migration and one service per role', () => {
    expect(Object.keys(COMPOSE.services).sort()).toEqual(
      ['console', 'ingress', 'migrate', 'postgres', 'public', 'redis', 'worker'].sort(),
    );
    const roles = DAEMONS.flatMap(([, s]) => rolesOf(s));
    expect(roles.sort()).toEqual([...ROLES].sort());
    for (const [name, service] of DAEMONS) {
      if (name === 'migrate') {
        expect(service.command).toEqual(['migrate']);
        continue;
      }
      expect(service.command?.[0]).toBe('start');
      expect(rolesOf(service)).toEqual([name]);
    }
    expect(COMPOSE.services['worker']?.deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('gives every hostmasterd service an environment the config module accepts, on PostgreSQL and Redis, replying over SMTP', () => {
    const postgres = COMPOSE.services['postgres']!.environment!;
    for (const [name, service] of DAEMONS) {
      const env = envOf(service);
      for (const variable of Object.keys(env)) {
        expect(CONFIG_VARIABLES, `${name}: ${variable} is not read by src/config`).toContain(variable);
      }
      const config = configOf(service);
      expect(config.database.kind).toBe('postgres');
      expect(config.redis.kind).toBe('url');
      expect(config.replies.transport.kind).toBe('smtp');
      const db = new URL(env['DATABASE_URL']!);
      expect(db.hostname).toBe('postgres');
      expect(db.username).toBe(postgres['POSTGRES_USER']);
      expect(decodeURIComponent(db.password)).toBe(postgres['POSTGRES_PASSWORD']);
      expect(db.pathname).toBe(`/${postgres['POSTGRES_DB']}`);
      expect(Number(db.port)).toBe(5432);
      expect(new URL(env['REDIS_URL']!).hostname).toBe('redis');
      // Reachable from the other containers, not only from inside its own.
      expect(config.smtp.host).toBe('0.0.0.0');
      expect(config.console.host).toBe('0.0.0.0');
      expect(config.public.host).toBe('0.0.0.0');
      expect(config.hostmasterAddresses).toEqual(['hostmaster@registry.example']);
    }
  });

  it('refuses to start without the secrets it cannot guess', () => {
    const { POSTGRES_PASSWORD: _p, ...withoutPassword } = DOT_ENV;
    expect(() => interpolateDeep(RAW, withoutPassword)).toThrow(/POSTGRES_PASSWORD/);
    const { REPLY_SMTP_URL: _r, ...withoutRelay } = DOT_ENV;
    expect(() => interpolateDeep(RAW, withoutRelay)).toThrow(/REPLY_SMTP_URL/);
  });

  it('publishes SMTP on the ingress, the console on the console, WHOIS (on 43) and RDAP on the public role, at the ports the config listens on', () => {
    const ingress = COMPOSE.services['ingress']!;
    const consoleService = COMPOSE.services['console']!;
    expect(containerPorts(ingress)).toEqual([configOf(ingress).smtp.port]);
    expect(containerPorts(consoleService)).toEqual([configOf(consoleService).console.port]);
    expect(COMPOSE.services['worker']!.ports).toBeUndefined();
    expect(ingress.ports).toEqual([`${DOT_ENV['SMTP_PUBLISH_PORT']}:2525`]);
    expect(consoleService.ports).toEqual([`${DOT_ENV['CONSOLE_PUBLISH']}:8080`]);
    const publicService = COMPOSE.services['public']!;
    const publicConfig = configOf(publicService).public;
    expect(containerPorts(publicService)).toEqual([publicConfig.whoisPort, publicConfig.rdapPort]);
    expect(publicService.ports).toEqual([`43:${publicConfig.whoisPort}`, `${DOT_ENV['RDAP_PUBLISH']}:8081`]);
  });

  it('checks the health of every long-running service, the daemons on /readyz at CONSOLE_PORT', () => {
    for (const [name, service] of LONG_RUNNING) {
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.healthcheck?.disable, name).toBeFalsy();
    }
    for (const [name, service] of DAEMONS.filter(([n]) => n !== 'migrate')) {
      const probe = [service.healthcheck?.test ?? []].flat().join(' ');
      const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(probe);
      expect(url, name).not.toBeNull();
      expect(Number(url![1])).toBe(configOf(service).console.port);
      expect(OPS_PATHS.has(url![2]!)).toBe(true);
    }
    expect(COMPOSE.services['migrate']!.healthcheck?.disable).toBe(true);
  });

  it('restarts what should run forever and not the migration', () => {
    for (const [name, service] of LONG_RUNNING) {
      expect(['always', 'unless-stopped'], name).toContain(service.restart);
    }
    expect(COMPOSE.services['migrate']!.restart).toBe('no');
  });

  it('starts roles only after the migration ran and the stores are healthy', () => {
    for (const [name, service] of Object.entries(COMPOSE.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(Object.keys(COMPOSE.services), `${name} depends on ${dependency}`).toContain(dependency);
      }
    }
    for (const [name, service] of DAEMONS.filter(([n]) => n !== 'migrate')) {
      expect(service.depends_on, name).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('keeps PostgreSQL and Redis data in named volumes, Redis with AOF and no eviction', () => {
    const used = Object.values(COMPOSE.services).flatMap((s) =>
      (s.volumes ?? []).map((v) => String(v).split(':')[0]!),
    );
    expect(used.sort()).toEqual(Object.keys(COMPOSE.volumes).sort());
    expect(COMPOSE.services['postgres']!.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(COMPOSE.services['redis']!.volumes).toEqual(['redis-data:/data']);
    const redis = (COMPOSE.services['redis']!.command ?? []).join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
  });

  it('.env.example sets only what the compose file uses', () => {
    const referenced = new Set(
      [...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!),
    );
    for (const variable of Object.keys(DOT_ENV)) expect(referenced, variable).toContain(variable);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^[A-Z]+\s/.test(l));
  const of = (keyword: string) => instructions.filter((l) => l.startsWith(`${keyword} `));

  it('builds in stages, installs production dependencies from the lock file, and runs as a non-root user', () => {
    expect(of('FROM').length).toBeGreaterThanOrEqual(2);
    expect(of('RUN').some((l) => l.includes('npm ci --omit=dev'))).toBe(true);
    const user = of('USER').at(-1)?.split(/\s+/)[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(of('ENTRYPOINT').at(-1)).toContain('bin/hostmasterd');
  });

  it('copies what exists and what the daemon reads at run time', () => {
    const copied = of('COPY')
      .filter((l) => !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const source of copied) expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
    for (const needed of ['bin', 'src', 'drizzle', 'templates', 'package-lock.json']) {
      expect(copied).toContain(needed);
    }
  });

  it('has the same ports and probe paths as compose', () => {
    const env = Object.fromEntries(
      of('ENV').flatMap((l) => [...l.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
    );
    const config = loadConfig(env, {}, '/app');
    expect(of('EXPOSE').join(' ')).toContain(`${config.smtp.port}`);
    expect(of('EXPOSE').join(' ')).toContain(`${config.console.port}`);
    expect(of('EXPOSE').join(' ')).toContain(`${config.public.whoisPort}`);
    expect(of('EXPOSE').join(' ')).toContain(`${config.public.rdapPort}`);
    const probe = /\/(\w+)'\)/.exec(of('HEALTHCHECK').join(' '));
    expect(OPS_PATHS.has(`/${probe?.[1]}`)).toBe(true);
  });

  it('needs no devDependency at run time: every package src imports is a dependency (npm ci --omit=dev)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const files = fs
      .readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const imported = new Set<string>();
    for (const file of files) {
      const text = fs.readFileSync(path.join(ROOT, 'src', file), 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm),
        ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    for (const name of imported) expect(Object.keys(pkg.dependencies), name).toContain(name);
    // The image runs compiled JavaScript: the TypeScript toolchain is only for building it.
    for (const tool of ['tsx', 'typescript', 'esbuild'])
      expect(Object.keys(pkg.dependencies)).not.toContain(tool);
  });

  it('compiles in its first stage and ships dist/ without the sources or the toolchain', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages[0]).toMatch(/^\S+ AS build/);
    expect(stages[0]).toContain('RUN node scripts/build.mjs');
    const runtime = stages.at(-1) ?? '';
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(runtime).not.toMatch(/^COPY src\b/m);
    expect(runtime).not.toMatch(/^COPY --from=build \/app\/node_modules/m);
  });

  it('.dockerignore keeps secrets, tests, local data and local builds out of the image but not the sources', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.env', 'node_modules', 'data', 'test', '.git', 'src/**/*.test.ts', 'dist']) {
      expect(ignored).toContain(entry);
    }
    for (const kept of ['src', 'bin', 'drizzle', 'templates', 'package.json', 'package-lock.json']) {
      expect(ignored).not.toContain(kept);
    }
    // The build stage compiles with scripts/build.mjs and the tsconfig files.
    expect(ignored).toContain('!scripts/build.mjs');
    for (const kept of ['tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(kept);
  });
});
