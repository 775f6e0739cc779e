import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

/**
 * A Turkish admin's screens show no English word (issue #34). The words to look for come from the test
 * (crm_affinity.tour_english_words): English words of the addon's catalog that its Turkish never uses, less a
 * reasoned allow-list. What is checked is the text as shown (innerText: visible text, CSS casing applied).
 */
let english = null;

async function param(key) {
    return rpc("/web/dataset/call_kw/ir.config_parameter/get_param", {
        model: "ir.config_parameter",
        method: "get_param",
        args: [key],
        kwargs: {},
    });
}

function loadEnglish() {
    return {
        content: "Read the English words to look for",
        trigger: "body",
        async run() {
            english = new Set(JSON.parse(await param("crm_affinity.tour_english_words")));
            if (english.size < 100) {
                throw new Error(`The oracle knows too few English words: ${english.size}`);
            }
        },
    };
}

/** The visible text of `selector`, without code (column names of a file's header, such as `recipient`), and
 * the placeholders its empty fields show. */
function visibleText(selector) {
    const roots = [...document.querySelectorAll(selector)];
    const placeholders = roots.flatMap((root) =>
        [...root.querySelectorAll("[placeholder]")]
            .filter((field) => !field.value && field.checkVisibility())
            .map((field) => field.getAttribute("placeholder"))
    );
    // innerText leaves out what is not visible: code is hidden for the time of one synchronous read.
    const style = document.createElement("style");
    style.textContent = "code { visibility: hidden !important; }";
    document.head.appendChild(style);
    try {
        return [...roots.map((root) => root.innerText), ...placeholders].join("\n");
    } finally {
        style.remove();
    }
}

/** English words of the visible text of `selector`, each with the line it stands on; `codes` matches code
 * names the text may hold (a file's column names and codes), which are not words of a language. */
function englishOn(selector, codes) {
    const text = codes ? visibleText(selector).replace(codes, " ") : visibleText(selector);
    const found = new Map();
    for (const line of text.split("\n")) {
        // Addresses, links and paths (/affinity/consent/capture) are not words of a language.
        const words = line.replace(/\S+@\S+|\S*:\/\/\S+|(?<!\S)\/\S+/g, " ").match(/\p{L}+/gu) || [];
        for (const word of words) {
            // Turkish casing (I → ı) and English casing (I → i) both: an uppercased title may be either.
            for (const lower of [word.toLocaleLowerCase("tr-TR"), word.toLowerCase().replace(/\u0307/g, "")]) {
                if (english.has(lower) && !found.has(lower)) {
                    found.set(lower, line.trim().slice(0, 100));
                }
            }
        }
    }
    return found;
}

/** A step that fails on any English word visible in `selector` once `trigger` is shown. */
function noEnglish(where, trigger, selector, codes = null) {
    return {
        content: `No English word on ${where}`,
        trigger,
        run() {
            const found = englishOn(selector, codes);
            if (found.size) {
                const lines = [...found].map(([word, line]) => `${word} in "${line}"`);
                throw new Error(`English on the Turkish screen ${where}: ${lines.join("; ")}`);
            }
        },
    };
}

const PAGE = ".o_main_navbar, .o_action_manager";
const DIALOG = ".modal:not(.o_inactive_modal) .modal-content";

/** Open a tab of the partner form. */
function openTab(name) {
    return {
        content: `Open the tab ${name}`,
        trigger: `.o_form_view .o_notebook .nav-link[name=${name}]`,
        run: "click",
    };
}

/** From a tab, open the page its button leads to, check it, and come back to the partner form. */
function visitPage(button, where, shown) {
    return [
        {
            content: `Open ${where}`,
            trigger: `.o_notebook .tab-pane.active button[name=${button}]`,
            run: "click",
        },
        noEnglish(where, `.o_form_view:not(:has(.o_notebook)) ${shown}`, PAGE),
        {
            content: "Back to the partner form",
            trigger: ".o_breadcrumb .breadcrumb-item:not(.active):last a",
            run: "click",
        },
        {
            content: "The partner form is back",
            trigger: ".o_form_view .o_notebook",
        },
    ];
}

registry.category("web_tour.tours").add("crm_affinity_turkish_partner_tour", {
    steps: () => [
        loadEnglish(),
        {
            content: "The Turkish partner form is shown",
            trigger: "html[lang=tr-TR] .o_form_view .o_notebook",
        },
        noEnglish("the partner form", ".o_form_view .o_notebook .tab-pane.active", PAGE),
        openTab("affinity"),
        noEnglish(
            "the Affinity tab",
            ".o_affinity_summary[data-tab=file] [data-name=affinity_file_summary]",
            PAGE
        ),
        ...visitPage("action_affinity_open_file", "the information file", "div[name=affinity_gift_ids] .o_data_row"),
        openTab("affinity_value"),
        noEnglish("the Value tab", ".tab-pane.active div[name=affinity_segment_name]", PAGE),
        ...visitPage("action_affinity_open_value", "the value sheet", "div[name=affinity_complaint_count]"),
        openTab("affinity_communication"),
        noEnglish(
            "the Communication tab",
            ".tab-pane.active .o_affinity_summary[data-tab=communication] [data-name=affinity_consent_summary]",
            PAGE
        ),
        ...visitPage(
            "action_affinity_open_communication",
            "the communication page",
            "div[name=affinity_consent_log_ids] .o_data_row"
        ),
        openTab("affinity_value"),
        {
            content: "Offboard the customer",
            trigger: ".tab-pane.active button[name=action_affinity_offboard]",
            run: "click",
        },
        noEnglish("the offboarding wizard", ".modal div[name=preview] p", DIALOG),
        {
            content: "End the relationship",
            trigger: ".modal div[name=strategy] input[data-value=end_relationship]",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal div[name=reason] textarea",
            run: "edit Siparişler beş yıldır zararına kapanıyor.",
        },
        noEnglish("the offboarding wizard, relationship ended", ".modal div[name=preview] p", DIALOG),
        {
            content: "Confirm",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The wizard closes on the form",
            trigger: ".o_form_view .o_notebook:not(:has(.modal))",
        },
        noEnglish("the partner form after offboarding", "body:not(:has(.modal)) .o_form_view .o_notebook", PAGE),
        openTab("affinity_communication"),
        // The offboarding wrote the consent history: its rows read in Turkish too.
        ...visitPage(
            "action_affinity_open_communication",
            "the communication page after offboarding",
            "div[name=affinity_consent_log_ids] .o_data_row:nth-child(4)"
        ),
    ],
});

registry.category("web_tour.tours").add("crm_affinity_turkish_settings_tour", {
    steps: () => [
        loadEnglish(),
        {
            content: "Open the Affinity settings",
            trigger: "html[lang=tr-TR] .settings_tab .tab[data-key=crm_affinity]",
            run: "click",
        },
        noEnglish(
            "the Affinity settings",
            ".app_settings_block[data-key=crm_affinity] .o_setting_box div[name=affinity_consent_mode]",
            PAGE
        ),
        {
            content: "Ask for double opt-in: its own settings and warning show",
            trigger: ".app_settings_block[data-key=crm_affinity] div[name=affinity_double_optin] input",
            run: "check",
        },
        noEnglish(
            "the Affinity settings with double opt-in",
            ".app_settings_block[data-key=crm_affinity] div[name=affinity_optin_days]",
            PAGE
        ),
        {
            content: "Discard: the settings stay as they were",
            trigger: ".o_control_panel .o_form_button_cancel",
            run: "click",
        },
        {
            content: "Double opt-in is off again",
            trigger: ".app_settings_block[data-key=crm_affinity] div[name=affinity_double_optin] input:not(:checked)",
        },
    ],
});

/** Put a workbook the test prepared (an ir.config_parameter holding it in base64) in the dialog's file field. */
function upload(key, filename) {
    return [
        {
            content: `Upload ${filename}`,
            trigger: ".modal div[name=file] input[type=file]:not(:visible)",
            async run() {
                const content = await param(key);
                const blob = await (await fetch(`data:application/octet-stream;base64,${content}`)).blob();
                const transfer = new DataTransfer();
                transfer.items.add(new File([blob], filename, { type: blob.type }));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: `${filename} is in`,
            trigger: `.modal div[name=file] input.o_input:value(${filename})`,
        },
    ];
}

registry.category("web_tour.tours").add("crm_affinity_turkish_import_tour", {
    steps: () => [
        loadEnglish(),
        noEnglish("the import dialog", "html[lang=tr-TR] .modal div[name=layout]", DIALOG),
        ...upload("crm_affinity.tour_consent_xlsx_wrong", "hatali.xlsx"),
        noEnglish("the import dialog with its file", ".modal div[name=file] .o_clear_file_button", DIALOG),
        {
            content: "Preview the wrong file",
            trigger: ".modal button[name=action_preview]",
            run: "click",
        },
        // Each error names the column and lists what it accepts: labels with the codes a file may use, as in
        // "E-posta (email)", and column names as the header has them, as in "'channel' sütunu".
        noEnglish(
            "the import preview with errors",
            ".modal .alert-danger div[name=error_count]:contains(2)",
            DIALOG,
            /'[a-z_]+'|\([a-z_]+\)/g
        ),
        ...upload("crm_affinity.tour_consent_xlsx", "izinler.xlsx"),
        {
            content: "Preview the right file",
            trigger: ".modal button[name=action_preview]",
            run: "click",
        },
        noEnglish("the import preview", ".modal .alert-success div[name=valid_count]:contains(2)", DIALOG),
        {
            content: "Import",
            trigger: ".modal button[name=action_import]",
            run: "click",
        },
        noEnglish("the finished import", ".modal .alert-success div[name=imported_count]:contains(2)", DIALOG),
        {
            content: "Close",
            trigger: ".modal .modal-footer button.btn-secondary",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
