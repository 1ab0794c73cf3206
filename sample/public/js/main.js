// The page's scripts, kept out of index.html so the page works under helmet's strict CSP.
// Each module wires one card of the page; activity.js follows every call's events.
import './activity.js';
import './progress.js';
import './resumable.js';
import './import.js';
import './greeting.js';
import './sum.js';
import './notices.js';
import './profile.js';
import './admin.js';
import './fail.js';
