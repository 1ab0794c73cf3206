type Values = Record<string, unknown>;

// Keys that would reach Object.prototype (prototype pollution): such fields are skipped.
const UNSAFE = /^(__proto__|constructor|prototype)$/;
const isObject = (v: unknown): v is Values => !!v && typeof v === 'object' && !Array.isArray(v);

/** The value of a field, or undefined when it is not sent (no name, disabled, unchecked). */
function valueOf(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): unknown {
  if (!el.name || el.matches(':disabled')) return;
  // Only selects have this type, only inputs these: no instanceof needed.
  if (el.type === 'select-multiple') {
    return Array.from((el as HTMLSelectElement).selectedOptions, (o) => o.value);
  }
  if (/^(checkbox|radio)$/.test(el.type) && !(el as HTMLInputElement).checked) return;
  return el.value;
}

/** `a` → [a], `a[b][c]` → [a, b, c], `a[]` → [a, ''] ; undefined for names to skip. */
function keysOf(name: string): string[] | undefined {
  const m = /^(\w+)\[(.*?)\]$/.exec(name);
  const keys = m ? [m[1], ...m[2].split('][')] : name.includes('[') ? [] : [name];
  return keys.length && !keys.some((k) => UNSAFE.test(k)) ? keys : undefined;
}

/** The fields inside the elements matching `selector` as an object (the original Sijax rules). */
export function getFormValues(selector: string): Values {
  const values: Values = {};
  const fields = document.querySelectorAll<HTMLInputElement>(
    `:is(${selector}) :is(input, textarea, select)`,
  );
  fields.forEach((el) => {
    const value = valueOf(el);
    const keys = keysOf(el.name);
    if (value === undefined || !keys) return;
    const last = keys.pop() as string;
    let target: Values = values;
    keys.forEach((key, i) => {
      const wantArray = last === '' && i === keys.length - 1;
      const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
      const fits = wantArray ? Array.isArray(current) : isObject(current);
      target = (target[key] = fits ? current : wantArray ? [] : {}) as Values;
    });
    // `a[]` pushes: a multi-select adds each selected value.
    if (last === '' && Array.isArray(target)) target.push(...([] as unknown[]).concat(value));
    else target[last] = value;
  });
  return values;
}
