// The page's scripts, kept out of index.html so the page works under helmet's strict CSP.
// Each module wires one section of the page; the first two serve every call.
import './errors.js';
import './activity.js';
import './progress.js';
import './import.js';
import './greeting.js';
import './sum.js';
import './profile.js';
import './notices.js';
import './admin.js';
import './failing.js';
