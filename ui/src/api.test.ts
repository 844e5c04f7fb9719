import { describe, expect, it } from 'vitest';
import { NOT_IN_APP, errorMessage, isMode, tauriApi } from './api';

describe('api', () => {
  it('knows the four modes', () => {
    expect(['native', 'managed', 'docker', 'off'].every(isMode)).toBe(true);
    expect(isMode('hybrid')).toBe(false);
    expect(isMode(undefined)).toBe(false);
  });

  it('turns rejections into readable text', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage({ message: 'from object' })).toBe('from object');
    expect(errorMessage({ code: 3 })).toBe('{"code":3}');
  });

  it('says clearly when the page is not inside the app', async () => {
    await expect(tauriApi.listServers()).rejects.toThrow(NOT_IN_APP);
  });
});
