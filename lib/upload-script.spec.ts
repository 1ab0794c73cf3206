import { uploadFormScript } from './upload-script';

/** Runs a script with stand-ins for jQuery, the page's form and `sjxUpload`; what it did. */
function run(script: string) {
  const forms: Record<string, { action: string }> = {};
  const registered: unknown[] = [];
  const globals = {
    jQuery: (ready: () => void) => ready(),
    document: { getElementById: (id: string) => (forms[id] ??= { action: '' }) },
    sjxUpload: { registerForm: (params: unknown) => registered.push(params) },
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function(...Object.keys(globals), script)(...Object.values(globals));
  return { forms, registered };
}

describe('uploadFormScript', () => {
  it("is the original's registration, after pointing the form's action at its upload URL", () => {
    const script = uploadFormScript('photos');
    expect(script).toBe(
      'jQuery(function() { document.getElementById("photos").action = "/sijax?sijax_rq=photos_upload"; ' +
        'sjxUpload.registerForm({"formId": "photos", "callback": "photos_upload"}); });',
    );
    expect(run(script)).toEqual({
      forms: { photos: { action: '/sijax?sijax_rq=photos_upload' } },
      registered: [{ formId: 'photos', callback: 'photos_upload' }],
    });
  });

  it('takes the path calls are posted to', () => {
    const { forms } = run(uploadFormScript('f', { path: '/api/sijax' }));
    expect(forms.f.action).toBe('/api/sijax?sijax_rq=f_upload');
    expect(run(uploadFormScript('f', { path: '/s?tenant=a' })).forms.f.action).toBe(
      '/s?tenant=a&sijax_rq=f_upload',
    );
  });

  it.each([
    ['</script><script>alert(1)</script>'],
    ['</SCRIPT ><!--'],
    ['"); alert(1); ("'],
    ['a&b\u2028c\u2029d\\'],
  ])('keeps the id %j inside the script element, and means it unchanged', (id) => {
    const script = uploadFormScript(id, { path: '/x</script>' });
    // Nothing that could end the element, open a comment, or end a line in old engines.
    expect(script).not.toMatch(/[<>&\u2028\u2029]/);
    const { forms, registered } = run(script);
    expect(registered).toEqual([{ formId: id, callback: `${id}_upload` }]);
    const action = new URL(forms[id].action, 'http://host');
    expect(action.pathname).toBe('/x%3C/script%3E');
    expect(action.searchParams.get('sijax_rq')).toBe(`${id}_upload`);
  });
});
