// An application written against Okta's management SDK, run by
// e2e/okta_test.go against userdb: ORG_URL is userdb's base URL + /okta and
// TOKEN a userdb API key. It does what such an app does and prints what it
// saw as one JSON object, which the test checks against userdb's own API.
'use strict';
const okta = require('@okta/okta-sdk-nodejs');

const client = new okta.Client({ orgUrl: process.env.ORG_URL, token: process.env.TOKEN });
const email = process.env.USER_EMAIL;
const out = {};

async function all(collection) {
  const items = [];
  for await (const item of collection) {
    items.push(item);
  }
  return items;
}

async function main() {
  // A custom attribute, declared through the profile editor's API.
  const schema = await client.schemaApi.updateUserProfile({
    schemaId: 'default',
    userSchema: { definitions: { custom: { id: '#custom', type: 'object', properties: {
      costCenter: { title: 'Cost center', type: 'string', maxLength: 20,
        permissions: [{ principal: 'SELF', action: 'READ_ONLY' }] },
    } } } },
  });
  out.schemaCustom = Object.keys(schema.definitions.custom.properties);

  // A user with a password and the custom attribute.
  const created = await client.userApi.createUser({ body: {
    profile: { firstName: 'Ada', lastName: 'Lovelace', email, login: email, costCenter: 'R&D' },
    credentials: { password: { value: process.env.USER_PASSWORD } },
  } });
  out.created = { id: created.id, status: created.status, costCenter: created.profile.costCenter };

  const byId = await client.userApi.getUser({ userId: created.id });
  const byLogin = await client.userApi.getUser({ userId: email });
  out.byId = byId.id;
  out.byLogin = byLogin.id;

  // Change the first name and the custom attribute, and save.
  byId.profile.firstName = 'Augusta';
  byId.profile.costCenter = 'Maths';
  const saved = await client.userApi.updateUser({ userId: byId.id, user: byId });
  out.saved = { firstName: saved.profile.firstName, costCenter: saved.profile.costCenter };
  const reread = await client.userApi.getUser({ userId: created.id });
  out.reread = { firstName: reread.profile.firstName, costCenter: reread.profile.costCenter };

  out.search = (await all(await client.userApi.listUsers({ search: 'profile.lastName eq "Lovelace"' }))).map(u => u.id);
  out.filter = (await all(await client.userApi.listUsers({
    filter: `status eq "ACTIVE" and profile.email eq "${email}"`,
  }))).map(u => u.id);

  // Every user of the prefix, 100 a page, following the Link header.
  const paged = await all(await client.userApi.listUsers({ search: `profile.email sw "${process.env.PAGE_PREFIX}"`, limit: 100 }));
  out.paged = paged.map(u => u.profile.email);

  // A group, with the user in it.
  const group = await client.groupApi.createGroup({ group: { profile: { name: 'engineers', description: 'Builders' } } });
  await client.groupApi.assignUserToGroup({ groupId: group.id, userId: created.id });
  out.group = group.id;
  out.members = (await all(await client.groupApi.listGroupUsers({ groupId: group.id }))).map(u => u.id);

  // Okta's errors come back as Okta's: a password the policy refuses.
  try {
    await client.userApi.createUser({ body: {
      profile: { email: 'weak.' + email, login: 'weak.' + email }, credentials: { password: { value: 'short' } },
    } });
    out.weak = { status: 201 };
  } catch (err) {
    out.weak = { status: err.status, errorCode: err.errorCode, causes: (err.errorCauses || []).map(c => c.errorSummary) };
  }

  // Deactivate, then delete.
  await client.userApi.deactivateUser({ userId: created.id });
  out.deactivated = (await client.userApi.getUser({ userId: created.id })).status;
  await client.userApi.deleteUser({ userId: created.id });
  try {
    await client.userApi.getUser({ userId: created.id });
    out.afterDelete = 200;
  } catch (err) {
    out.afterDelete = `${err.status} ${err.errorCode}`;
  }
}

main().then(
  () => { process.stdout.write(JSON.stringify(out) + '\n'); },
  err => { process.stderr.write(`${err.stack || err}\n${JSON.stringify(out)}\n`); process.exit(1); },
);
