// @stage/sdk/testing: what an app built on the SDK needs in its own tests. FakeHub is an in-memory hub that
// speaks the protocol (sealed sessions, recall, replay, resync) over fake WebSockets: pass `hub.WebSocket` to
// ImClient as `config.WebSocket`, drive the hub from the test (push outcomes, drop or silence connections,
// restart it, rate-limit, lose replies) and assert on what the app shows.
export { FakeHub, defaultExecute, type Execution, type FakeHubConfig } from './FakeHub.js';
