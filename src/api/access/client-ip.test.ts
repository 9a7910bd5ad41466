import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { trustedProxies } from './client-ip.js';

describe('TRUSTED_PROXIES', () => {
  it('matches single addresses and CIDR ranges of both families, IPv4-mapped peers included', () => {
    const trusted = trustedProxies(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, fd00::/8, ::1' }).TRUSTED_PROXIES);
    expect(['10.1.2.3', '192.168.1.7', 'fd12::1', '::1'].map(trusted)).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.8', 'fe80::1', '127.0.0.1', 'not-an-ip', 'unknown'].map(trusted)).toEqual([false, false, false, false, false, false]);
  });

  it('trusts nobody by default', () => {
    const trusted = trustedProxies(loadConfig({}).TRUSTED_PROXIES);
    expect(trusted('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.1/8/1', '::1/129', '300.1.1.1'])('refuses %s at start-up, naming the variable', (value) => {
    expect(() => loadConfig({ TRUSTED_PROXIES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_PROXIES: value })).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('CORS_ORIGINS', () => {
  it('takes origins, a trailing slash forgiven', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173' }).CORS_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each(['app.example.com', 'https://app.example.com/path', 'ftp://x.example', '*'])('refuses %s', (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});
