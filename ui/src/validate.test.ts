import { describe, expect, it } from 'vitest';
import { cpusError, envNameError, imageError, memoryError, nameError, pidsError, volumeError } from './validate';

describe('client-side checks', () => {
  it('accepts Docker image references', () => {
    for (const ok of [
      'mcp/fetch',
      'mcp/fetch:latest',
      'ghcr.io/org/server:1.2.3',
      'localhost:5000/a/b_c-d:v1',
      'alpine',
      `mcp/x@sha256:${'a'.repeat(64)}`,
      'dockside/demo-server:local',
    ]) {
      expect(imageError(ok), ok).toBeNull();
    }
  });

  it('explains bad image names', () => {
    expect(imageError('')).toMatch(/Enter an image/);
    expect(imageError('mcp/Fetch')).toMatch(/must be lowercase/);
    expect(imageError('mcp fetch')).toMatch(/spaces/);
    expect(imageError('mcp//fetch')).toMatch(/Invalid image name/);
    expect(imageError('mcp/fetch:')).toMatch(/Invalid image name/);
    expect(imageError('-bad')).toMatch(/Invalid image name/);
  });

  it('checks names, variables, limits and volumes like core', () => {
    expect(nameError('demo-1.x_y')).toBeNull();
    expect(nameError('.hidden')).toMatch(/cannot start/);
    expect(nameError('a b')).toMatch(/letters, digits/);
    expect(envNameError('API_KEY')).toBeNull();
    expect(envNameError('1X')).toMatch(/not a valid/);
    expect(cpusError('0.5')).toBeNull();
    expect(cpusError('0')).toMatch(/above 0/);
    expect(memoryError('512m')).toBeNull();
    expect(memoryError('2Gb')).toBeNull();
    expect(memoryError('12q')).toMatch(/512m/);
    expect(pidsError('64')).toBeNull();
    expect(pidsError('0')).toMatch(/above 0/);
    expect(volumeError('/a:/b:ro')).toBeNull();
    expect(volumeError('/a')).toMatch(/not a volume/);
    expect(volumeError('/a:/b:x')).toMatch(/ro or rw/);
  });
});
