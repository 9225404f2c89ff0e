define(function(){
    var obj = {
	"requireConf": {
		"waitSeconds": 600,
		"urlArgs": "ver=2024.12.0-1734357000000"
	},
	"removeDonateButton": false,
	"allowSubscriptions": false,
	"websocketPath": "/cryptpad_websocket",
	"httpUnsafeOrigin": "https://cryptpad.example.com",
	"adminEmail": false,
	"adminKeys": [],
	"inactiveTime": 90,
	"supportMailbox": "",
	"defaultStorageLimit": 52428800,
	"maxUploadSize": 20971520,
	"premiumUploadSize": 20971520,
	"restrictRegistration": false,
	"restrictSsoRegistration": false,
	"httpSafeOrigin": "https://sandbox.cryptpad.example.com",
	"enableEmbedding": false,
	"fileHost": "https://cryptpad.example.com",
	"shouldUpdateNode": false,
	"listMyInstance": false,
	"sso": false,
	"enforceMFA": false,
	"onlyOffice": {}
};
    obj.caution = 'The configuration of this instance is served for the client code; do not edit it here';
    return obj;
});
