import { describe, expect, it } from 'vitest';
import { PREFS_KEY, createAlertPrefs } from './alert-prefs.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('createAlertPrefs', () => {
  it('starts with notifications and sound off', () => {
    expect(createAlertPrefs(() => undefined).state.getState()).toEqual({
      notifications: false,
      sound: false,
    });
  });

  it('remembers a change, and a new store (a reload) reads it back', () => {
    const storage = memoryStorage();
    createAlertPrefs(() => storage).set({ sound: true });
    expect(JSON.parse(storage.items.get(PREFS_KEY) ?? '{}')).toEqual({ notifications: false, sound: true });
    expect(createAlertPrefs(() => storage).state.getState()).toEqual({ notifications: false, sound: true });
  });

  it('takes only true booleans from storage, and the defaults from anything unreadable', () => {
    const storage = memoryStorage();
    storage.items.set(PREFS_KEY, '{"notifications":"yes","sound":true}');
    expect(createAlertPrefs(() => storage).state.getState()).toEqual({ notifications: false, sound: true });
    storage.items.set(PREFS_KEY, '{');
    expect(createAlertPrefs(() => storage).state.getState()).toEqual({ notifications: false, sound: false });
  });
});
